/**
 * The resumable state of a backfill, kept in one JSON file written atomically (temp file + rename,
 * so a crash leaves the previous checkpoint or the new one, never half of one).
 *
 * Resume rule: every item before `position` is finished; `finishedAhead` lists finished items beyond
 * it; `inFlight` lists items started but not finished when the file was written (they are redone: the
 * core is idempotent, an object already encrypted is skipped after one HEAD). `reportBytes` is the
 * length of the report that holds exactly the rows of the finished items, so a resumed run truncates
 * the report there and never writes a row twice.
 */
import { promises as fs } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { CheckpointError } from './errors';
import type { TrackedPosition } from './progress-tracker';

export const CHECKPOINT_VERSION = 1 as const;

/** What is being backfilled; a checkpoint is only valid for the same source. */
export type SourceId =
  | { kind: 'list'; bucket: string; prefix: string }
  | { kind: 'manifest'; bucket: string; manifest: string };

export interface Counts {
  seen: number;
  encrypted: number;
  skipped: number;
  failed: number;
  dispatched: number;
  /** Dry run: objects counted in `skipped` with reason dry-run, i.e. that a real run would encrypt. */
  wouldEncrypt?: number;
}

export interface CheckpointState {
  version: typeof CHECKPOINT_VERSION;
  source: SourceId;
  mode: 'local' | 'fanout';
  dryRun: boolean;
  position: TrackedPosition;
  finishedAhead: string[];
  inFlight: string[];
  counts: Counts;
  reportBytes: number | null;
  complete: boolean;
  updatedAt: string;
}

export function sameSource(a: SourceId, b: SourceId): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describe(s: SourceId): string {
  return s.kind === 'list' ? `bucket "${s.bucket}" prefix "${s.prefix}"` : `manifest ${s.manifest} (bucket "${s.bucket}")`;
}

/** Reads a checkpoint; undefined when the file does not exist. Anything else unreadable is a CheckpointError. */
export async function readCheckpoint(file: string): Promise<CheckpointState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(file, `cannot be read (${(err as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CheckpointError(file, 'is not valid JSON (was it written by another tool, or truncated by hand?)');
  }
  const problems = validate(data);
  if (problems.length > 0) throw new CheckpointError(file, `is not a backfill checkpoint: ${problems.join('; ')}`);
  return data as CheckpointState;
}

function validate(d: unknown): string[] {
  const p: string[] = [];
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return ['top level is not an object'];
  const o = d as Record<string, unknown>;
  if (o.version !== CHECKPOINT_VERSION) p.push(`version is ${JSON.stringify(o.version)}, expected ${CHECKPOINT_VERSION}`);
  const s = o.source as Record<string, unknown> | undefined;
  if (!s || (s.kind !== 'list' && s.kind !== 'manifest') || typeof s.bucket !== 'string') p.push('source is missing or malformed');
  const pos = o.position as Record<string, unknown> | undefined;
  if (!pos || !Number.isInteger(pos.ordinal) || (pos.ordinal as number) < 0 || (pos.key !== null && typeof pos.key !== 'string')) p.push('position is missing or malformed');
  for (const f of ['finishedAhead', 'inFlight'] as const) {
    if (!Array.isArray(o[f]) || !(o[f] as unknown[]).every((k) => typeof k === 'string')) p.push(`${f} is not a list of keys`);
  }
  const c = o.counts as Record<string, unknown> | undefined;
  if (!c || !['seen', 'encrypted', 'skipped', 'failed', 'dispatched'].every((k) => Number.isInteger(c[k]))) p.push('counts are missing or malformed');
  if (o.reportBytes !== null && !Number.isInteger(o.reportBytes)) p.push('reportBytes is malformed');
  if (o.mode !== 'local' && o.mode !== 'fanout') p.push('mode is malformed');
  if (typeof o.complete !== 'boolean') p.push('complete is malformed');
  return p;
}

/** Refuses to resume a checkpoint taken for a different bucket, prefix, manifest or mode. */
export function assertResumable(file: string, cp: CheckpointState, want: { source: SourceId; mode: 'local' | 'fanout'; dryRun: boolean }): void {
  if (!sameSource(cp.source, want.source)) {
    throw new CheckpointError(file, `belongs to ${describe(cp.source)}, not ${describe(want.source)}; use another --checkpoint file or delete this one`);
  }
  if (cp.mode !== want.mode) throw new CheckpointError(file, `was written by a ${cp.mode} run, this is a ${want.mode} run; use another --checkpoint file`);
  if (cp.dryRun !== want.dryRun) throw new CheckpointError(file, `was written by a ${cp.dryRun ? 'dry' : 'real'} run; use another --checkpoint file for a ${want.dryRun ? 'dry' : 'real'} run`);
}

/** Atomic write: the temp file lives in the same directory so rename stays on one filesystem. */
export async function writeCheckpoint(file: string, state: CheckpointState): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(state) + '\n', 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

/**
 * Coalesces saves: at most one write in flight and at most one every `minIntervalMs`; the latest
 * state always wins. `flush()` writes the latest state now.
 */
export class CheckpointWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastWriteAt = 0;
  private error: unknown;
  writes = 0;

  constructor(
    private readonly file: string,
    private readonly snapshot: () => CheckpointState,
    private readonly minIntervalMs = 1000,
  ) {}

  /** Something changed; a write will follow within minIntervalMs. */
  touch(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, wait);
    this.timer.unref?.();
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      this.lastWriteAt = Date.now();
      try {
        await writeCheckpoint(this.file, this.snapshot());
        this.writes += 1;
      } catch (err) {
        this.error ??= err;
      }
    });
    return this.writing;
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.write();
    if (this.error) throw new CheckpointError(this.file, `cannot be written (${(this.error as Error).message}); check the directory exists and is writable`);
  }
}
