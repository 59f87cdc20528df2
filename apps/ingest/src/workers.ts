/**
 * Worker mode (INGEST_WORKERS > 1): node:cluster workers share the API port, the primary hands them
 * its connections in turn. The primary parses the configuration and gives each worker the parsed
 * object; each worker is a whole API with its own Kafka producer, so an order is answered 2xx only
 * once Kafka acknowledged it, as with one process; each keeps its share of the rate limit (per key
 * and process, as configured). The primary serves the ops port: /metrics sums
 * every worker's metrics with its own (prom-client's AggregatorRegistry.aggregate), /readyz is ready
 * when every worker is listening and ready, /healthz while one is. A worker that dies is replaced.
 * A worker listens once its producer is connected (see connectWaitMs).
 * On SIGTERM/SIGINT the primary tells every worker to drain (close its server, answer the requests
 * in flight, close its producer) and exits once they all have; workers ignore those signals
 * themselves (a terminal's Ctrl-C reaches them too) and take the order from the primary only.
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, Registry } from 'prom-client';
import {
  configErrorExitCode,
  createLogger,
  createRegistry,
  onShutdown,
  runChecks,
  startOpsServer,
  type Logger,
} from '@salespipeline/shared';
import type { IngestConfig } from './config.js';
import { serveApi, type ServingApi } from './serve.js';

/** How long a worker has to drain; the primary waits a little longer for all of them. */
const drainTimeoutMs = 25_000;
const answerTimeoutMs = 5000;
const restartDelayMs = 1000;
/**
 * How long a worker waits for its producer to connect before it listens. The primary hands
 * connections only to listening workers, so one that starts (in place of one that died, say) leaves
 * them to its siblings instead of answering 503 to its share until connected. Without Kafka it
 * listens after that anyway: clients get 503 and Retry-After, not a refused connection.
 */
const connectWaitMs = 10_000;

/** Resolves once `connected` has, or after `ms`. */
export function connectedOrAfter(connected: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([connected.then(() => undefined), limit]).finally(() => clearTimeout(timer));
}

/**
 * V8 flags of the workers. A request allocates its body, the parsed order and its record, all dead
 * once it is answered: young-generation garbage. With V8's default semi-space (16 MiB at most) the
 * scavenger ran that often that garbage collection took ~12 % of a worker's CPU flat out; 32 MiB
 * semi-spaces make scavenges half as frequent and each no dearer (the survivors are the same few
 * requests in flight), for at most 32 MiB more memory per worker. A flag given to the process
 * (node's own arguments or NODE_OPTIONS) wins.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = [...execArgv, nodeOptions].some((arg) => /--max-semi-space-size/.test(arg));
  return given ? [...execArgv] : [...execArgv, '--max-semi-space-size=32'];
}

type WorkerMetrics = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;
type Question = 'ready' | 'metrics';
type ToWorker =
  { ingest: 'config'; config: IngestConfig } | { ingest: 'ask'; id: number; question: Question } | { ingest: 'stop' };
type ToPrimary = { ingest: 'config?' } | { ingest: 'answer'; id: number; value: unknown };

const isMessage = <T>(m: unknown): m is T => typeof m === 'object' && m !== null && 'ingest' in m;

/** The primary's registry: on each scrape, the workers' metrics and its own, summed. */
class WorkersRegistry extends Registry {
  constructor(
    private readonly own: Registry,
    private readonly workerMetrics: () => Promise<WorkerMetrics[]>,
  ) {
    super();
  }

  override async metrics(): Promise<string> {
    const all = [await this.own.getMetricsAsJSON(), ...(await this.workerMetrics())];
    return AggregatorRegistry.aggregate(all).metrics();
  }
}

/** Questions to the workers over IPC, each answered within answerTimeoutMs or rejected. */
class WorkerQuestions {
  private readonly answers = new Map<number, (value: unknown) => void>();
  private nextId = 0;

  ask(worker: Worker, question: Question): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const settle = () => (clearTimeout(timer), this.answers.delete(id));
      const timer = setTimeout(() => {
        this.answers.delete(id);
        reject(new Error(`worker ${worker.id} did not answer`));
      }, answerTimeoutMs);
      this.answers.set(id, (value) => (settle(), resolve(value)));
      const message: ToWorker = { ingest: 'ask', id, question };
      worker.send(message, (err) => err && this.answers.has(id) && (settle(), reject(err)));
    });
  }

  answered(id: number, value: unknown): void {
    this.answers.get(id)?.(value);
  }
}

/** Ready when every worker listens and answers that all its checks pass. */
async function checkWorkers(listening: ReadonlyMap<number, Worker>, expected: number, questions: WorkerQuestions) {
  const workers = [...listening.values()];
  if (workers.length < expected) throw new Error(`${workers.length} of ${expected} listening`);
  const results = (await Promise.all(workers.map((w) => questions.ask(w, 'ready')))) as Array<Record<string, string>>;
  const failing = results.flatMap((checks, i) =>
    Object.entries(checks)
      .filter(([, status]) => status !== 'ok')
      .map(([name, status]) => `worker ${workers[i]!.id} ${name}: ${status}`),
  );
  if (failing.length > 0) throw new Error(failing.join('; '));
}

/** Resolves with the address once the worker listens; exits the process as a worker whose config was invalid did. */
function listeningAt(worker: Worker): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    worker.once('listening', (address) => resolve(address));
    worker.once('exit', (code, signal) => {
      // A setting only a worker reads (the key file) was invalid: it wrote why; exit as it did.
      if (code === configErrorExitCode) process.exit(configErrorExitCode);
      reject(new Error(`ingest worker ${worker.id} exited while starting (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** Tells every live worker to drain; resolves once they all have exited. */
async function drainWorkers(): Promise<void> {
  await Promise.all(
    Object.values(cluster.workers ?? {}).map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (!worker || worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.send({ ingest: 'stop' } satisfies ToWorker);
        }),
    ),
  );
}

export async function runPrimary(config: IngestConfig, logger: Logger): Promise<void> {
  // The rate limit is the process's (the pod's): each worker keeps its share of it.
  const workerConfig: IngestConfig = {
    ...config,
    rateLimitPerSecond: config.rateLimitPerSecond / config.workers,
    rateLimitBurst: Math.max(1, Math.ceil(config.rateLimitBurst / config.workers)),
  };
  const listening = new Map<number, Worker>();
  const questions = new WorkerQuestions();
  let stopping = false;

  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (m: unknown) => {
      if (!isMessage<ToPrimary>(m)) return;
      if (m.ingest === 'config?') worker.send({ ingest: 'config', config: workerConfig } satisfies ToWorker);
      else questions.answered(m.id, m.value);
    });
    worker.once('listening', () => listening.set(worker.id, worker));
    worker.once('exit', (code, signal) => {
      listening.delete(worker.id);
      if (stopping) return;
      logger.error({ worker: worker.id, code, signal }, 'worker died; starting another');
      setTimeout(() => stopping || fork(), restartDelayMs).unref();
    });
    return worker;
  };

  // Start-up: every worker listening, or the process fails with the first that could not.
  const addresses = await Promise.all(Array.from({ length: config.workers }, fork).map(listeningAt));

  const registry = new WorkersRegistry(
    createRegistry('ingest'),
    async () => (await Promise.all([...listening.values()].map((w) => questions.ask(w, 'metrics')))) as WorkerMetrics[],
  );
  const opsServer = await startOpsServer({
    registry,
    logger,
    port: config.opsPort,
    host: config.opsHost,
    alive: () => listening.size > 0,
    checks: [{ name: 'workers', check: () => checkWorkers(listening, config.workers, questions) }],
  });
  logger.info(
    {
      port: addresses[0]!.port,
      host: config.host,
      opsPort: (opsServer.address() as AddressInfo).port,
      topic: config.ordersTopic,
      workers: config.workers,
    },
    'ingest API listening',
  );

  onShutdown(
    logger,
    [
      () => {
        stopping = true; // no more replacements
        return drainWorkers();
      },
      () => new Promise<void>((resolve) => opsServer.close(() => resolve())),
    ],
    drainTimeoutMs + 3000,
  );
}

export async function runWorker(): Promise<void> {
  // The primary decides when to stop (see the top of this file).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => undefined);
  const send = (message: ToPrimary) => process.send?.(message);
  const serving: { api?: ServingApi; registry?: Registry; stop?: (reason: string) => void } = {};
  let stopRequested = false;
  let configReceived = false;
  const configured = new Promise<IngestConfig>((resolve) => {
    process.on('message', (m: unknown) => {
      if (!isMessage<ToWorker>(m)) return;
      switch (m.ingest) {
        case 'config':
          configReceived = true;
          return resolve(m.config);
        case 'stop':
          stopRequested = true;
          // Before the API is up nothing is in flight: stop now; while it starts: once it is up.
          if (serving.stop) serving.stop('primary');
          else if (!configReceived) process.exit(0);
          return;
        case 'ask': {
          const answer =
            m.question === 'metrics'
              ? (serving.registry?.getMetricsAsJSON() ?? Promise.resolve([]))
              : serving.api
                ? runChecks(serving.api.opsOptions.checks, 2000)
                : Promise.resolve({ api: 'starting' });
          void answer.then(
            (value) => send({ ingest: 'answer', id: m.id, value }),
            (err: unknown) => send({ ingest: 'answer', id: m.id, value: { api: String(err) } }),
          );
        }
      }
    });
  });
  send({ ingest: 'config?' });
  const config = await configured;
  const logger = createLogger('ingest').child({ worker: cluster.worker?.id });
  serving.registry = createRegistry('ingest');
  serving.api = await serveApi(config, logger, serving.registry, (producer) =>
    connectedOrAfter(producer.start(), connectWaitMs),
  );
  serving.stop = onShutdown(logger, [serving.api.stop], drainTimeoutMs, []);
  if (stopRequested) serving.stop('primary');
}
