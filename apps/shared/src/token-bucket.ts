/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up, full at the start. The
 * caller passes the time (milliseconds of any monotonic clock), so it is a pure function of its calls.
 */
export class TokenBucket {
  private tokens: number;
  private at: number | undefined;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1))
      throw new Error(`TokenBucket: rate must be > 0 and burst ≥ 1 (got ${ratePerSecond}, ${burst})`);
    this.tokens = burst;
  }

  /** Takes a token if there is one and returns 0; else takes nothing and returns the seconds until one is there. */
  take(nowMs: number): number {
    const elapsedMs = this.at === undefined ? 0 : Math.max(0, nowMs - this.at);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.ratePerSecond);
    this.at = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.ratePerSecond;
  }
}
