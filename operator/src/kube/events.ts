/** Kubernetes Events (core/v1) about an object; repeats of the same event bump its count. */
import { isoSeconds, type Logger } from '@salespipeline/shared';
import type { KubeClient } from './client.js';
import { referenceTo, resources, type KubeObject } from './objects.js';

export type EventType = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly recent = new Map<string, { name: string; count: number }>();

  constructor(
    /** A gated client: a replica that does not lead records nothing. */
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly logger: Logger,
  ) {}

  /** Records an event; never throws (events are best effort). */
  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    if (!this.client.canWrite()) return;
    const involvedObject = referenceTo(obj);
    const { namespace } = involvedObject;
    const now = isoSeconds(Date.now());
    const key = `${namespace}/${involvedObject.uid ?? involvedObject.name}/${type}/${reason}/${message}`;
    try {
      const seen = this.recent.get(key);
      if (seen) {
        seen.count += 1;
        await this.client.mergePatch(resources.event, namespace, seen.name, { count: seen.count, lastTimestamp: now });
        return;
      }
      const created = await this.client.create(resources.event, namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${involvedObject.name}.`, namespace },
        involvedObject,
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: this.component },
        reportingComponent: this.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      if (this.recent.size > 5000) this.recent.clear();
      this.recent.set(key, { name: created.metadata.name, count: 1 });
    } catch (err) {
      this.recent.delete(key);
      this.logger.warn({ err: String(err), reason }, 'could not record event');
    }
  }
}
