/** The step of a batch that failed, for the metrics and the dead-letter reason. */
import type { ProcessorMetrics } from './metrics.js';

export type Step = 'mysql' | 'cassandra' | 'kafka';

/** Runs one step of a batch, timed; its error carries the step. */
export async function timedStep<T>(metrics: ProcessorMetrics, step: Step, run: () => Promise<T>): Promise<T> {
  const end = metrics.sinkDuration.startTimer({ sink: step });
  try {
    return await run();
  } catch (err) {
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { step });
  } finally {
    end();
  }
}

export const stepOf = (err: unknown): Step | 'unknown' => (err as { step?: Step }).step ?? 'unknown';
