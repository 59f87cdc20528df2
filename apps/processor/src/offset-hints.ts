/**
 * The processor's progress as offsets committed to its Kafka consumer group: only hints for tools
 * (the operator's autoscaler reads the group's lag from them); the offset that counts is the one
 * stored in MySQL. Each partition's latest offset is committed at most once per interval, all
 * partitions in one request: a request per chunk cost Kafka more than fetching the chunk at low
 * rates. A hint trails MySQL's offset by at most the interval, so the lag read from it is never an
 * underestimate.
 */
export interface OffsetHint {
  partition: number;
  offset: string;
}

export class OffsetHints {
  private readonly pending = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly commit: (hints: OffsetHint[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The partition's next offset to read, committed with the others within the interval. */
  note(partition: number, offset: string): void {
    this.pending.set(partition, offset);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Forgets the hints of partitions no longer assigned (their new owner commits its own). */
  retain(partitions: readonly number[]): void {
    for (const partition of this.pending.keys()) if (!partitions.includes(partition)) this.pending.delete(partition);
  }

  /** Commits what is pending now (on stop, before leaving the group). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const hints = [...this.pending].map(([partition, offset]) => ({ partition, offset }));
    this.pending.clear();
    await this.commit(hints).catch(this.onError);
  }
}
