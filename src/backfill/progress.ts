/**
 * Progress figures emitted by the core (it never prints) and the two renderings the CLI uses: a
 * one-line bar redrawn in place on a terminal, and plain lines for logs and pipes.
 */
import type { Counts } from './checkpoint';

export interface ProgressSnapshot extends Counts {
  /** Objects known to exist in total (a manifest's row count); undefined while a listing is running. */
  total?: number;
  /** Objects finished in this process (excludes those a checkpoint said were done). */
  finishedThisRun: number;
  elapsedMs: number;
  /** Objects per second over the last few seconds. */
  rate: number;
  etaMs?: number;
  concurrency: number;
  throttled: number;
  retries: number;
  done: boolean;
}

/** Rate over a sliding window, so a pause (throttling) shows up quickly in the figure. */
export class RateMeter {
  private readonly samples: Array<{ t: number; n: number }> = [];
  constructor(private readonly windowMs = 5000) {}
  record(t: number, n: number): void {
    this.samples.push({ t, n });
    while (this.samples.length > 2 && t - this.samples[1].t >= this.windowMs) this.samples.shift();
  }
  rate(): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    return b.t > a.t ? ((b.n - a.n) * 1000) / (b.t - a.t) : 0;
  }
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

function counts(p: ProgressSnapshot): string {
  const parts = [`seen ${p.seen}`];
  if (p.dispatched > 0) parts.push(`dispatched ${p.dispatched}`);
  else parts.push(`encrypted ${p.encrypted}`, `skipped ${p.skipped}${p.wouldEncrypt ? ` (${p.wouldEncrypt} would be encrypted)` : ''}${p.inventoryEncrypted ? ` (${p.inventoryEncrypted} encrypted per the inventory, not requested)` : ''}`);
  parts.push(`failed ${p.failed}`);
  return parts.join('  ');
}

function tail(p: ProgressSnapshot): string {
  const parts = [`${p.rate.toFixed(p.rate < 10 ? 1 : 0)}/s`];
  if (p.etaMs !== undefined && !p.done) parts.push(`ETA ${formatDuration(p.etaMs)}`);
  if (p.throttled > 0) parts.push(`throttled ${p.throttled} (pool ${p.concurrency})`);
  return parts.join('  ');
}

/** A terminal line: `[#####.....]  42%  seen 420/1000  encrypted …  310/s  ETA 2s`. */
export function renderBar(p: ProgressSnapshot, width = 24): string {
  const finished = p.encrypted + p.skipped + p.failed + p.dispatched;
  if (p.total === undefined || p.total === 0) return `${counts(p)}  ${tail(p)}`;
  const frac = Math.min(1, finished / p.total);
  const fill = Math.round(frac * width);
  return `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${counts(p).replace(`seen ${p.seen}`, `seen ${p.seen}/${p.total}`)}  ${tail(p)}`;
}

/** A plain log line for non-TTY output. */
export function renderLine(p: ProgressSnapshot): string {
  return `backfill: ${formatDuration(p.elapsedMs)} ${counts(p)}${p.total !== undefined ? ` of ${p.total}` : ''}  ${tail(p)}`;
}

export function renderSummary(p: ProgressSnapshot, extra: { aborted?: boolean; dryRun?: boolean; reportFile?: string; checkpointFile?: string } = {}): string {
  const state = extra.aborted ? 'stopped' : 'finished';
  const lines = [
    `backfill ${state}${extra.dryRun ? ' (dry run: nothing was changed)' : ''} in ${formatDuration(p.elapsedMs)}: ${counts(p)}`,
  ];
  const rate = p.elapsedMs > 0 ? (p.finishedThisRun * 1000) / p.elapsedMs : 0;
  lines.push(`  ${p.finishedThisRun} objects this run, ${rate.toFixed(1)}/s; throttling answers ${p.throttled}, retries ${p.retries}`);
  if (p.replaced) {
    lines.push(`  ${p.replaced} object${p.replaced === 1 ? ' was' : 's were'} rewritten since the inventory was taken and skipped as "replaced" (not checked, and`);
    lines.push('  possibly plaintext: nothing encrypts uploads before the function is on); rerun from a listing (omit --manifest) or a fresh inventory to cover them');
  }
  if (extra.reportFile) lines.push(`  report: ${extra.reportFile}`);
  if (extra.checkpointFile) lines.push(`  checkpoint: ${extra.checkpointFile}${extra.aborted ? ' (run the same command again to resume)' : ''}`);
  return lines.join('\n');
}
