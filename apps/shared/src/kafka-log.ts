import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Level } from 'pino';
import type { Logger } from './logger.js';

const sameLevel: Record<number, Level> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/**
 * A kafkajs logCreator that writes kafkajs' entries to a pino logger, the entry's message as the
 * line's message and its other fields as the line's fields. `levelOf` maps kafkajs' levels to
 * pino's (default: the level of the same name).
 */
export function kafkaLogCreator(
  logger: Logger,
  levelOf: (level: logLevel) => Level = (l) => sameLevel[l] ?? 'info',
): logCreator {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...fields } = log;
      logger[levelOf(level)](fields, message);
    };
}
