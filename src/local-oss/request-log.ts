/** Every request the local OSS answered, in order, with per-operation counts (for tests and benchmarks). */
export interface RequestLogEntry {
  time: number; requestId: string; op: string; method: string; bucket?: string; key?: string;
  status: number; code?: string; fault?: 'http500' | 'http503' | 'drop' | 'slow' | 'drop-after'; accessKeyId?: string;
}

export class RequestLog {
  private list: RequestLogEntry[] = [];
  /** Bounded so a long benchmark run does not grow without limit; the oldest entries go first. */
  constructor(private readonly max = 100_000) {}

  add(e: RequestLogEntry): void {
    this.list.push(e);
    if (this.list.length > this.max) this.list.splice(0, this.list.length - this.max);
  }
  entries(): RequestLogEntry[] { return [...this.list]; }
  /** Requests per operation name, optionally only those on one bucket/key. */
  counts(filter: { bucket?: string; key?: string } = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.list) {
      if (filter.bucket !== undefined && e.bucket !== filter.bucket) continue;
      if (filter.key !== undefined && e.key !== filter.key) continue;
      out[e.op] = (out[e.op] ?? 0) + 1;
    }
    return out;
  }
  clear(): void { this.list = []; }
}
