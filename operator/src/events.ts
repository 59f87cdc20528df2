/** Kubernetes Events (core/v1) about a SalesPipeline; repeats of the same event bump its count. */
import { isoSeconds, type Logger } from '@salespipeline/shared';
import { collectionPath, objectPath, type KubeRest } from './kube/rest.js';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

export class EventRecorder {
  private readonly recent = new Map<string, { name: string; count: number }>();

  constructor(
    private readonly rest: KubeRest,
    private readonly component: string,
    private readonly canWrite: () => boolean,
    private readonly logger: Logger,
  ) {}

  /** Records an event; never throws (events are best effort). */
  async record(obj: InvolvedObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    if (!this.canWrite()) return;
    const now = isoSeconds(Date.now());
    const key = `${obj.namespace}/${obj.uid ?? obj.name}/${type}/${reason}/${message}`;
    try {
      const seen = this.recent.get(key);
      if (seen) {
        seen.count += 1;
        await this.rest.request('PATCH', objectPath('v1', 'events', obj.namespace, seen.name), {
          body: { count: seen.count, lastTimestamp: now },
          contentType: 'application/merge-patch+json',
        });
        return;
      }
      const created = await this.rest.request<{ metadata: { name: string } }>(
        'POST',
        collectionPath('v1', 'events', obj.namespace),
        {
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { generateName: `${obj.name}.`, namespace: obj.namespace },
            involvedObject: obj,
            type,
            reason,
            message: message.slice(0, 1024),
            source: { component: this.component },
            reportingComponent: this.component,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        },
      );
      if (this.recent.size > 5000) this.recent.clear();
      this.recent.set(key, { name: created.metadata.name, count: 1 });
    } catch (err) {
      this.recent.delete(key);
      this.logger.warn({ err: String(err), reason }, 'could not record event');
    }
  }
}
