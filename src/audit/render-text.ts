/** The terminal rendering of an audit report: totals, tables with coverage bars, the backfill estimate. */
import type { CoverageRow } from './aggregate';
import { coverage, escapeControl, formatBytes as formatBytesKnown, formatCount, formatSeconds, formatShare } from './format';
import { prefixLabel } from './prefix';
import type { AuditReport, AuditProgress } from './run';

const BAR = 20;

/** Terminal columns of a string: East Asian wide characters (CJK, Hangul, fullwidth forms) take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff)
      || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}
const padEnd = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - displayWidth(s)));
const padStart = (s: string, n: number) => ' '.repeat(Math.max(0, n - displayWidth(s))) + s;

/** `[████████████░░░░░░░░]`: the encrypted share of the bytes. */
export function coverageBar(share: number, width = BAR): string {
  const fill = Math.round(Math.max(0, Math.min(1, share)) * width);
  return `[${'█'.repeat(fill)}${'░'.repeat(width - fill)}]`;
}

function table(title: string, rows: CoverageRow[], label: (r: CoverageRow) => string, limit: number, bytesKnown = true): string[] {
  const formatBytes = bytesKnown ? formatBytesKnown : () => '?';
  const shown = rows.slice(0, limit);
  const head = ['', 'objects', 'plaintext', 'bytes', 'plaintext bytes', 'encrypted (bytes)'];
  const body = shown.map((r) => [
    escapeControl(label(r)),
    formatCount(r.objects),
    `${formatCount(r.plaintextObjects)}${r.exact ? '' : '~'}`,
    formatBytes(r.bytes),
    `${formatBytes(r.plaintextBytes)}${r.exact ? '' : '~'}`,
    `${coverageBar(coverage(r))} ${formatShare(r.bytes > 0 ? r.encryptedBytes : r.encryptedObjects, r.bytes > 0 ? r.bytes : r.objects).padStart(6)}${r.unknownObjects > 0 ? `  (${formatCount(r.unknownObjects)} unknown)` : ''}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => displayWidth(b[i] as string))));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? padEnd(c, widths[i] as number) : i === cells.length - 1 ? c : padStart(c, widths[i] as number))).join('  ').trimEnd();
  const out = [title, `  ${line(head)}`, ...body.map((b) => `  ${line(b)}`)];
  if (rows.length > shown.length) out.push(`  … ${rows.length - shown.length} more (all of them in --json and --html)`);
  return out;
}

export function renderAuditText(r: AuditReport, opts: { limit?: number; htmlFile?: string } = {}): string {
  const limit = opts.limit ?? 20;
  // An inventory without a Size column: byte figures are not known (shown as ?), and shares are by objects.
  const formatBytes = r.bytesKnown === false ? () => '?' : formatBytesKnown;
  const t = r.totals;
  const src = r.source.kind === 'inventory'
    ? `inventory ${r.source.manifest}${r.source.inventoryCreatedAt ? ` (scanned ${r.source.inventoryCreatedAt})` : ''}`
    : `listing${r.source.prefix ? ` of prefix "${escapeControl(r.source.prefix)}"` : ''}${r.sampling ? `, ${formatCount(r.sampling.sampled)} sampled objects HEADed` : ', every object HEADed'}`;
  const lines: string[] = [];
  lines.push(`Audit of bucket ${r.bucket}${r.aborted ? ' (STOPPED EARLY: partial figures)' : ''}`);
  lines.push(`  source: ${src}`);
  lines.push(`  ${formatCount(t.objects)} objects, ${formatBytes(t.bytes)}`);
  const est = t.exact ? '' : ' (estimated)';
  lines.push(`  encrypted  ${formatCount(t.encryptedObjects).padStart(12)} objects ${formatShare(t.encryptedObjects, t.objects).padStart(6)}  ${formatBytes(t.encryptedBytes).padStart(10)} ${formatShare(t.encryptedBytes, t.bytes).padStart(6)}${est}`);
  lines.push(`  plaintext  ${formatCount(t.plaintextObjects).padStart(12)} objects ${formatShare(t.plaintextObjects, t.objects).padStart(6)}  ${formatBytes(t.plaintextBytes).padStart(10)} ${formatShare(t.plaintextBytes, t.bytes).padStart(6)}${est}`);
  if (t.unknownObjects > 0) lines.push(`  unknown    ${formatCount(t.unknownObjects).padStart(12)} objects ${formatShare(t.unknownObjects, t.objects).padStart(6)}  ${formatBytes(t.unknownBytes).padStart(10)}`);
  lines.push(r.bytesKnown === false
    ? `  ${coverageBar(coverage(t), 40)} ${formatShare(t.encryptedObjects, t.objects)} of objects encrypted (sizes unknown: the inventory has no Size column)`
    : `  ${coverageBar(coverage(t), 40)} ${formatShare(t.encryptedBytes, t.bytes)} of bytes encrypted`);
  const nv = r.noncurrentVersions;
  if (nv) {
    lines.push(`  older (noncurrent) versions, not in the figures above: ${formatCount(nv.objects)} versions, ${formatBytes(nv.bytes)}; ${formatCount(nv.deleteMarkers)} delete marker${nv.deleteMarkers === 1 ? '' : 's'}`);
    lines.push(`    encrypted  ${formatCount(nv.encryptedObjects).padStart(10)} versions ${formatShare(nv.encryptedObjects, nv.objects).padStart(6)}  ${formatBytes(nv.encryptedBytes).padStart(10)} ${formatShare(nv.encryptedBytes, nv.bytes).padStart(6)}`);
    lines.push(`    plaintext  ${formatCount(nv.plaintextObjects).padStart(10)} versions ${formatShare(nv.plaintextObjects, nv.objects).padStart(6)}  ${formatBytes(nv.plaintextBytes).padStart(10)} ${formatShare(nv.plaintextBytes, nv.bytes).padStart(6)}`);
    if (nv.unknownObjects > 0) lines.push(`    unknown    ${formatCount(nv.unknownObjects).padStart(10)} versions ${formatShare(nv.unknownObjects, nv.objects).padStart(6)}  ${formatBytes(nv.unknownBytes).padStart(10)}`);
    if (nv.plaintextObjects > 0) lines.push('    backfill rewrites current objects only: plaintext older versions stay until they expire (lifecycle) or are deleted');
  }
  if (r.sampling) {
    const s = r.sampling;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    lines.push(`  sampling: ${formatCount(s.sampled)} of ${formatCount(s.population)} objects, uniform (seed ${s.seed}); 95% intervals:`);
    lines.push(`    plaintext share of objects ${pct(s.plaintextObjectShare.estimate)} (${pct(s.plaintextObjectShare.low)} – ${pct(s.plaintextObjectShare.high)})`);
    lines.push(`    plaintext share of bytes   ${pct(s.plaintextByteShare.estimate)} (${pct(s.plaintextByteShare.low)} – ${pct(s.plaintextByteShare.high)})`);
    lines.push('    figures marked ~ are estimates: the sampled shares applied to the listed totals; groups fitted to add up to them');
  }
  if (r.gone > 0) lines.push(`  ${formatCount(r.gone)} listed objects were deleted before their HEAD (not counted)`);
  if (r.headErrors > 0) lines.push(`  ${formatCount(r.headErrors)} HEADs failed (counted as unknown), the first: ${escapeControl(r.firstHeadError ?? '?')}`);
  lines.push('');
  lines.push(...table(`By prefix (depth ${r.depth}), largest plaintext first:`, r.byPrefix, (x) => prefixLabel(x.name), limit, r.bytesKnown !== false));
  lines.push('');
  lines.push(...table('By storage class:', r.byStorageClass, (x) => x.name, limit, r.bytesKnown !== false));
  lines.push('');
  if (r.byAlgorithm) {
    lines.push(`By algorithm${r.sampling ? ' (scaled from the sample)' : ''}:`);
    for (const a of r.byAlgorithm) lines.push(`  ${escapeControl(a.name).padEnd(10)} ${formatCount(a.objects).padStart(12)} objects  ${formatBytes(a.bytes).padStart(10)}`);
    if (r.byKmsKey && r.byKmsKey.length > 0) {
      lines.push('By KMS key:');
      for (const k of r.byKmsKey) lines.push(`  ${escapeControl(k.name)}  ${formatCount(k.objects)} objects  ${formatBytes(k.bytes)}`);
    }
  } else {
    lines.push('By algorithm / KMS key: not in an inventory (EncryptionStatus is only true/false); audit from a listing (HEAD per object, or --sample N) to see them.');
  }
  lines.push('');
  const e = r.estimate;
  lines.push(`Backfill of the plaintext part (${formatCount(e.toEncrypt)} objects to encrypt${e.archivedPlaintext > 0 ? `; ${formatCount(e.archivedPlaintext)} more are in an archive class and are skipped until restored` : ''}):`);
  lines.push(`  OSS requests: ${formatCount(e.fromInventory.requests)} with --manifest (${e.fromInventory.perObject.toFixed(2)} per object), ${formatCount(e.fromListing.requests)} from a listing (${e.fromListing.perObject.toFixed(2)} per object)`);
  if (e.unknownHeads) lines.push(`  ${formatCount(e.unknownHeads)} objects of unknown encryption are HEADed too (in both counts); their copies, if plaintext, are not counted`);
  if (e.reencryptHeads) lines.push(`  SSE_ON_MISMATCH=reencrypt: ${formatCount(e.reencryptHeads)} encrypted objects are HEADed too (in both counts), to find other algorithms or keys; their copies are not counted`);
  if (e.local && e.roundTripMs !== undefined) {
    lines.push(`  time here: ~${formatSeconds(e.local.seconds)} (${e.local.concurrency} in flight × ${e.sequentialRequests} sequential requests at the ${e.roundTripSource === 'measured' ? 'measured' : 'given'} ${e.roundTripMs} ms round trip)`);
    if (e.fanout) lines.push(`  time with --fanout: ~${formatSeconds(e.fanout.seconds)} (${formatCount(e.fanout.invocations)} invocation${e.fanout.invocations === 1 ? '' : 's'} of ${e.fanout.batchSize} keys, ${e.fanout.instances} instances at once, ${e.fanout.perInstanceConcurrency} objects in flight each, same round trip)`);
  } else {
    lines.push('  time: not measured (no credentials); pass --rtt-ms or credentials and --region to time it');
  }
  lines.push(`  (copy time on the server and throttling are not in the model)`);
  lines.push('');
  lines.push(`Audit made ${formatCount(r.requests.object)} object requests and ${formatCount(r.requests.bucket)} bucket requests in ${formatSeconds(r.elapsedMs / 1000)}.`);
  if (opts.htmlFile) lines.push(`HTML report: ${opts.htmlFile}`);
  return lines.join('\n');
}

/** Progress on a terminal (one redrawn line) and in logs (plain lines), like backfill's. */
export function renderAuditProgress(p: AuditProgress): string {
  const rate = `${p.rate.toFixed(p.rate < 10 ? 1 : 0)}/s`;
  const bar = (done: number, total: number) => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const fill = Math.round(frac * 24);
    return `[${'#'.repeat(fill)}${'.'.repeat(24 - fill)}] ${String(Math.floor(frac * 100)).padStart(3)}%`;
  };
  if (p.phase === 'inventory') return `${bar(p.listed, p.total ?? 0)}  inventory rows ${formatCount(p.listed)}/${formatCount(p.total ?? 0)}  ${rate}`;
  if (p.phase === 'listing') return `audit: listed ${formatCount(p.listed)}, HEADed ${formatCount(p.headed)}  ${rate}`;
  return `${bar(p.headed, p.total ?? 0)}  HEADed ${formatCount(p.headed)}/${formatCount(p.total ?? 0)} sampled of ${formatCount(p.listed)} listed  ${rate}`;
}
