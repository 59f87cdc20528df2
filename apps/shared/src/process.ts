import { ConfigError } from './config.js';
import type { Logger } from './logger.js';

/** The exit code of a process whose configuration is invalid. */
export const configErrorExitCode = 2;

/**
 * Runs a process's main: a ConfigError or a start-up failure exits non-zero with the message on
 * stderr; `--help` prints the given text and exits 0.
 */
export function runMain(main: () => Promise<void>, help: string): void {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${help}\n`);
    return;
  }
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nRun with --help for the list of settings.\n`);
      process.exit(configErrorExitCode);
    }
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

/**
 * On SIGTERM/SIGINT runs the steps in order (e.g. stop accepting, finish the batch in flight,
 * close clients), then exits. A second signal or the timeout forces the exit. Returns the trigger,
 * for a process told to stop by other means than a signal (a node:cluster worker by its primary).
 */
export function onShutdown(
  logger: Logger,
  steps: Array<() => Promise<void>>,
  timeoutMs = 25_000,
  signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'],
): (reason: string) => void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    (async () => {
      for (const step of steps) await step();
    })().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.once(signal, () => stop(signal));
  return stop;
}
