/**
 * The resumable state of a backfill, kept in one JSON file written atomically (temp file + fsync +
 * rename, so a crash leaves the previous checkpoint or the new one, never half of one; a failed write
 * removes its temp file).
 *
 * Resume rule: items are started in source order, so `position` (the last item started) splits the
 * source: every item before it is finished, except the ones in `inFlight` (started, not finished when
 * the file was written). A resumed run first redoes the `inFlight` keys (the core is idempotent: an
 * object already encrypted is skipped after one HEAD), then continues the source after `position`. So
 * the file holds at most the pool's worth of keys, however slow one object is.
 *
 * `reservedUpTo`: a run writes the checkpoint before it starts an item at or beyond this ordinal, so
 * every item the run may have started before a kill lies below it. A resumed run uses that window to
 * tell "copied by the interrupted run" apart from "already encrypted" (see run.ts).
 *
 * `reportBytes` is the length of the report that holds exactly the rows of the finished items, so a
 * resumed run truncates the report there and never writes a row twice; `report` names that file and
 * its format, and a resume with another report (or none) is refused.
 */
import { promises as fs } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { AutoEncryptError } from '../errors';
import { CheckpointError } from './errors';
import type { TrackedPosition } from './progress-tracker';

export const CHECKPOINT_VERSION = 2 as const;

/**
 * What is being backfilled; a checkpoint is only valid for the same source. A manifest is known by
 * its content (MD5 of manifest.json and its creationTimestamp), not only its path: an inventory
 * refreshed at the same path lists other objects in another order, so resuming by row count would skip some.
 */
export type SourceId =
  | { kind: 'list'; bucket: string; prefix: string }
  | { kind: 'manifest'; bucket: string; manifest: string; md5: string; createdAt?: string };

export interface Counts {
  seen: number;
  encrypted: number;
  skipped: number;
  failed: number;
  dispatched: number;
  /** Dry run: objects counted in `skipped` with reason dry-run, i.e. that a real run would encrypt. */
  wouldEncrypt?: number;
  /** Inventory rows counted in `skipped` with reason inventory-encrypted (no request made). */
  inventoryEncrypted?: number;
  /**
   * Objects counted in `skipped` with reason replaced: rewritten since the inventory's scan (their ETag differs),
   * so not copied. They may well be plaintext (nothing encrypts uploads before the function is on).
   */
  replaced?: number;
}

/** The report a checkpoint's rows live in (absolute path), or null for a run without --report. */
export type ReportId = { file: string; format: 'csv' | 'jsonl' } | null;

export interface CheckpointState {
  version: typeof CHECKPOINT_VERSION;
  source: SourceId;
  mode: 'local' | 'fanout';
  dryRun: boolean;
  report: ReportId;
  /** When the first run of this checkpoint started (ISO). */
  startedAt: string;
  position: TrackedPosition;
  inFlight: string[];
  reservedUpTo: number;
  counts: Counts;
  reportBytes: number | null;
  complete: boolean;
  updatedAt: string;
}

/** `./inv/manifest.json` and `inv/manifest.json` are one file (checkpoints of older versions kept the path as given). */
const sameFile = (a: string, b: string): boolean => resolve(a) === resolve(b);

function sameSource(a: SourceId, b: SourceId): boolean {
  if (a.kind === 'list' || b.kind === 'list') return JSON.stringify(a) === JSON.stringify(b);
  return a.bucket === b.bucket && sameFile(a.manifest, b.manifest) && a.md5 === b.md5 && a.createdAt === b.createdAt;
}

function describe(s: SourceId): string {
  return s.kind === 'list' ? `bucket "${s.bucket}" prefix "${s.prefix}"` : `manifest ${s.manifest} (bucket "${s.bucket}")`;
}

function describeManifest(s: Extract<SourceId, { kind: 'manifest' }>): string {
  return `${s.createdAt ? `creationTimestamp ${s.createdAt}, ` : ''}MD5 ${s.md5}`;
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
  if (typeof data === 'object' && data !== null && (data as { version?: unknown }).version === 1) {
    throw new CheckpointError(file, 'was written by an earlier version of this tool (checkpoint version 1); finish that backfill with the version that started it, or start over with a new --checkpoint file (encrypted objects then cost one HEAD each)');
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
  if (!s || (s.kind !== 'list' && s.kind !== 'manifest') || typeof s.bucket !== 'string' || (s.kind === 'manifest' && typeof s.md5 !== 'string')) p.push('source is missing or malformed');
  const pos = o.position as Record<string, unknown> | undefined;
  if (!pos || !Number.isInteger(pos.ordinal) || (pos.ordinal as number) < 0 || (pos.key !== null && typeof pos.key !== 'string')) p.push('position is missing or malformed');
  if (!Array.isArray(o.inFlight) || !(o.inFlight as unknown[]).every((k) => typeof k === 'string')) p.push('inFlight is not a list of keys');
  if (!Number.isInteger(o.reservedUpTo)) p.push('reservedUpTo is malformed');
  const c = o.counts as Record<string, unknown> | undefined;
  if (!c || !['seen', 'encrypted', 'skipped', 'failed', 'dispatched'].every((k) => Number.isInteger(c[k]))) p.push('counts are missing or malformed');
  if (o.reportBytes !== null && !Number.isInteger(o.reportBytes)) p.push('reportBytes is malformed');
  const r = o.report as Record<string, unknown> | null | undefined;
  if (r !== null && (typeof r !== 'object' || typeof r.file !== 'string' || (r.format !== 'csv' && r.format !== 'jsonl'))) p.push('report is malformed');
  if (o.mode !== 'local' && o.mode !== 'fanout') p.push('mode is malformed');
  if (typeof o.complete !== 'boolean') p.push('complete is malformed');
  if (typeof o.startedAt !== 'string' || Number.isNaN(Date.parse(o.startedAt))) p.push('startedAt is malformed');
  return p;
}

/** Refuses to resume a checkpoint taken for a different bucket, prefix, manifest, mode, dry-run setting or report. */
export function assertResumable(file: string, cp: CheckpointState, want: { source: SourceId; mode: 'local' | 'fanout'; dryRun: boolean; report: ReportId }): void {
  const a = cp.source;
  const b = want.source;
  if (a.kind === 'manifest' && b.kind === 'manifest' && a.bucket === b.bucket && sameFile(a.manifest, b.manifest) && !sameSource(a, b)) {
    throw new CheckpointError(
      file,
      `was written for another inventory at ${b.manifest} (${describeManifest(a)}); that file is now (${describeManifest(b)}). ` +
        'A refreshed inventory lists other objects in another order, so it cannot be resumed by position: start a new --checkpoint (and --report) for it; objects already encrypted then cost one HEAD each',
    );
  }
  if (!sameSource(a, b)) {
    throw new CheckpointError(file, `belongs to ${describe(a)}, not ${describe(b)}; use another --checkpoint file or delete this one`);
  }
  if (cp.mode !== want.mode) throw new CheckpointError(file, `was written by a ${cp.mode} run, this is a ${want.mode} run; use another --checkpoint file`);
  if (cp.dryRun !== want.dryRun) throw new CheckpointError(file, `was written by a ${cp.dryRun ? 'dry' : 'real'} run; use another --checkpoint file for a ${want.dryRun ? 'dry' : 'real'} run`);
  const had = cp.report;
  const has = want.report;
  const flags = (r: NonNullable<ReportId>) => `--report ${r.file} --report-format ${r.format}`;
  if (had && !has) throw new CheckpointError(file, `keeps its rows in the report ${had.file}; resume with the same ${flags(had)}, or the rows of this run would be missing from it`);
  if (!had && has) throw new CheckpointError(file, `was started without --report, so the rows of the ${cp.counts.seen - cp.inFlight.length} objects it already finished exist nowhere; resume without --report, or start over with a new --checkpoint to get a complete report`);
  if (had && has && (had.file !== has.file || had.format !== has.format)) {
    throw new CheckpointError(file, `keeps its rows in the report ${had.file} (${had.format}); resume with the same ${flags(had)}, not ${has.file} (${has.format})`);
  }
}

/** Atomic write: the temp file lives in the same directory so rename stays on one filesystem; it never outlives a failure. */
export async function writeCheckpoint(file: string, state: CheckpointState): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(state) + '\n', 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Coalesces saves: at most one write in flight and at most one every `minIntervalMs`; the latest
 * state always wins. The first failure stops all later writes (the file keeps the last good state,
 * which a resume can trust) and is handed to `onError` at once, so the run can stop early instead of
 * working on with no record. `flush()` writes the latest state now and throws that failure.
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
    private readonly onError: (err: AutoEncryptError) => void = () => undefined,
  ) {}

  /** Something changed; a write will follow within minIntervalMs. */
  touch(): void {
    if (this.timer || this.error) return;
    const wait = Math.max(0, this.lastWriteAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, wait);
    this.timer.unref?.();
  }

  /** Writes now and resolves once the state is on disk (used before starting items beyond `reservedUpTo`). */
  now(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return this.write().then(() => this.throwIfFailed());
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.error) return;
      this.lastWriteAt = Date.now();
      try {
        await writeCheckpoint(this.file, this.snapshot());
        this.writes += 1;
      } catch (err) {
        // A report that cannot be written is the report's fault, not the checkpoint's: keep its own error.
        this.error = err instanceof AutoEncryptError ? err : new CheckpointError(this.file, `cannot be written (${(err as Error).message}); the run stopped after the objects in flight and the file keeps its last good state: make sure its directory exists, is writable and has free space, then rerun to resume`);
        this.onError(this.error as AutoEncryptError);
      }
    });
    return this.writing;
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  async flush(): Promise<void> {
    await this.now();
  }
}
