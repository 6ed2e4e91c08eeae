// What the four-letter words report about this server process: packets,
// latency and connections since it started.

export interface ConnectionInfo {
  readonly remote: string;
  readonly sessionId: bigint;
  readonly timeoutMs: number;
  readonly received: number;
  readonly sent: number;
  /** Requests started and not yet answered. */
  readonly outstanding: number;
  readonly lastZxid: bigint;
}

export class ServerStats {
  received = 0;
  sent = 0;
  readonly connections = new Set<ConnectionInfo>();
  private count = 0;
  private total = 0;
  min = 0;
  max = 0;

  latency(ms: number): void {
    this.min = this.count === 0 ? ms : Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
    this.total += ms;
    this.count++;
  }

  /** Requests started and not yet answered, on every connection. */
  get outstanding(): number {
    let n = 0;
    for (const c of this.connections) n += c.outstanding;
    return n;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
}
