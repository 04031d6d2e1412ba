/**
 * `--html FILE`: one self-contained page (inline CSS and SVG, no script, nothing fetched at view time) with the
 * coverage charts and tables of an audit, to attach to a compliance ticket. Every figure also carries its raw value
 * in a `data-value` attribute so a test (and a reader's tooling) can compare it with `--json`.
 */
import type { CoverageRow } from './aggregate';
import { coverage, formatBytes as formatBytesKnown, formatCount, formatSeconds, formatShare } from './format';

/** Set per rendering (synchronous): an inventory without a Size column shows every byte figure as unknown. */
let bytesKnown = true;
const formatBytes = (n: number) => (bytesKnown ? formatBytesKnown(n) : '?');
import { prefixLabel } from './prefix';
import type { AuditReport } from './run';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const COLORS = { encrypted: '#2e7d32', plaintext: '#c62828', unknown: '#9e9e9e' };
const CHART_ROWS = 25;

/** A horizontal stacked bar per row: encrypted | plaintext | unknown bytes, each as a share of the row. */
function stackedBars(id: string, rows: CoverageRow[], label: (r: CoverageRow) => string): string {
  const shown = rows.slice(0, CHART_ROWS);
  const labelW = 220;
  const barW = 460;
  const rowH = 22;
  const h = shown.length * rowH + 8;
  const parts = shown.map((r, i) => {
    const y = 4 + i * rowH;
    const byBytes = r.bytes > 0;
    const whole = byBytes ? r.bytes : Math.max(1, r.objects);
    const seg = [
      ['encrypted', byBytes ? r.encryptedBytes : r.encryptedObjects],
      ['plaintext', byBytes ? r.plaintextBytes : r.plaintextObjects],
      ['unknown', byBytes ? r.unknownBytes : r.unknownObjects],
    ] as const;
    let x = labelW;
    const rects = seg
      .map(([kind, v]) => {
        const w = (v / whole) * barW;
        const rect = w > 0 ? `<rect class="seg ${kind}" data-kind="${kind}" x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowH - 6}" fill="${COLORS[kind]}"><title>${esc(label(r))}: ${kind} ${byBytes ? formatBytes(v) : formatCount(v)}</title></rect>` : '';
        x += w;
        return rect;
      })
      .join('');
    const text = label(r).length > 30 ? `${label(r).slice(0, 29)}…` : label(r);
    return `<g class="bar" data-name="${esc(r.name)}"><text x="${labelW - 8}" y="${y + rowH - 10}" text-anchor="end">${esc(text)}</text>${rects}<text x="${labelW + barW + 6}" y="${y + rowH - 10}">${formatShare(byBytes ? r.encryptedBytes : r.encryptedObjects, whole)}</text></g>`;
  });
  const more = rows.length > shown.length ? `<p class="note">Chart shows the ${shown.length} largest; the table lists all ${rows.length}.</p>` : '';
  return `<svg id="${id}" class="chart" role="img" aria-label="encrypted share per group" width="${labelW + barW + 60}" height="${h}" viewBox="0 0 ${labelW + barW + 60} ${h}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>${more}`;
}

/** The overall split as one donut (bytes). */
function donut(t: CoverageRow): string {
  const r = 70;
  const c = 2 * Math.PI * r;
  const whole = t.bytes > 0 ? t.bytes : 1;
  let offset = 0;
  const arcs = (['encrypted', 'plaintext', 'unknown'] as const)
    .map((kind) => {
      const v = kind === 'encrypted' ? t.encryptedBytes : kind === 'plaintext' ? t.plaintextBytes : t.unknownBytes;
      const len = (v / whole) * c;
      const arc = len > 0 ? `<circle class="arc ${kind}" data-kind="${kind}" r="${r}" cx="90" cy="90" fill="none" stroke="${COLORS[kind]}" stroke-width="28" stroke-dasharray="${len.toFixed(3)} ${(c - len).toFixed(3)}" stroke-dashoffset="${(-offset).toFixed(3)}" transform="rotate(-90 90 90)"/>` : '';
      offset += len;
      return arc;
    })
    .join('');
  return `<svg id="donut" class="chart" role="img" aria-label="encrypted share of all bytes" width="180" height="180" viewBox="0 0 180 180" xmlns="http://www.w3.org/2000/svg">${arcs}<text x="90" y="96" text-anchor="middle" class="big">${formatShare(t.encryptedBytes, t.bytes)}</text></svg>`;
}

function cell(field: keyof CoverageRow, r: CoverageRow, text: string): string {
  return `<td data-field="${field}" data-value="${String(r[field])}">${text}</td>`;
}

function table(id: string, rows: CoverageRow[], label: (r: CoverageRow) => string): string {
  const body = rows
    .map((r) => `<tr data-name="${esc(r.name)}"><th scope="row">${esc(label(r))}</th>${cell('objects', r, formatCount(r.objects))}${cell('encryptedObjects', r, formatCount(r.encryptedObjects))}${cell('plaintextObjects', r, formatCount(r.plaintextObjects))}${cell('unknownObjects', r, formatCount(r.unknownObjects))}${cell('bytes', r, formatBytes(r.bytes))}${cell('encryptedBytes', r, formatBytes(r.encryptedBytes))}${cell('plaintextBytes', r, formatBytes(r.plaintextBytes))}<td>${formatShare(r.bytes > 0 ? r.encryptedBytes : r.encryptedObjects, r.bytes > 0 ? r.bytes : r.objects)}${r.exact ? '' : ' ~'}</td></tr>`)
    .join('\n');
  return `<table id="${id}"><thead><tr><th></th><th>objects</th><th>encrypted</th><th>plaintext</th><th>unknown</th><th>bytes</th><th>encrypted bytes</th><th>plaintext bytes</th><th>encrypted (bytes)</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function renderAuditHtml(r: AuditReport): string {
  bytesKnown = r.bytesKnown !== false;
  const t = r.totals;
  const src = r.source.kind === 'inventory'
    ? `inventory <code>${esc(r.source.manifest)}</code>${r.source.inventoryCreatedAt ? ` (scanned ${esc(r.source.inventoryCreatedAt)})` : ''}`
    : `listing${r.source.prefix ? ` of prefix <code>${esc(r.source.prefix)}</code>` : ''}${r.sampling ? `, ${formatCount(r.sampling.sampled)} uniformly sampled objects HEADed` : ', every object HEADed'}`;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const sampling = r.sampling
    ? `<p id="sampling">Sampling: ${formatCount(r.sampling.sampled)} of ${formatCount(r.sampling.population)} objects (seed ${r.sampling.seed}). Plaintext share of objects <b data-value="${r.sampling.plaintextObjectShare.estimate}">${pct(r.sampling.plaintextObjectShare.estimate)}</b> (95%: ${pct(r.sampling.plaintextObjectShare.low)} – ${pct(r.sampling.plaintextObjectShare.high)}), of bytes ${pct(r.sampling.plaintextByteShare.estimate)} (95%: ${pct(r.sampling.plaintextByteShare.low)} – ${pct(r.sampling.plaintextByteShare.high)}). Figures marked ~ are estimated.</p>`
    : '';
  const nv = r.noncurrentVersions;
  const noncurrent = nv
    ? `<h2>Older (noncurrent) versions</h2><p class="note">Not in the figures above: they are not current objects, and backfill rewrites current objects only, so plaintext older versions stay until they expire (lifecycle) or are deleted. Delete markers: <b data-value="${nv.deleteMarkers}">${formatCount(nv.deleteMarkers)}</b>.</p>${table('noncurrent', [nv], () => 'older versions')}`
    : '';
  const e = r.estimate;
  const time = e.local && e.roundTripMs !== undefined
    ? `<li>Time here: ~${formatSeconds(e.local.seconds)} (${e.local.concurrency} in flight, ${e.sequentialRequests} sequential requests per object at a ${e.roundTripSource === 'measured' ? 'measured' : 'given'} ${e.roundTripMs} ms round trip)</li>${e.fanout ? `<li>Time with <code>--fanout</code>: ~${formatSeconds(e.fanout.seconds)} (${formatCount(e.fanout.invocations)} invocation${e.fanout.invocations === 1 ? "" : "s"} of ${e.fanout.batchSize} keys, ${e.fanout.instances} instances at once)</li>` : ''}`
    : '<li>Time: not measured (no credentials were given).</li>';
  const algo = r.byAlgorithm
    ? `<h2>By algorithm${r.sampling ? ' (scaled from the sample)' : ''}</h2>${table('by-algorithm', r.byAlgorithm, (x) => x.name)}${r.byKmsKey && r.byKmsKey.length ? `<h2>By KMS key</h2>${table('by-kms-key', r.byKmsKey, (x) => x.name)}` : ''}`
    : '<h2>By algorithm</h2><p class="note">An inventory states only whether an object is encrypted (EncryptionStatus true/false), not with what. Audit from a listing (HEAD per object, or <code>--sample N</code>) to see algorithms and KMS keys.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Encryption audit: ${esc(r.bucket)}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.summary{display:flex;gap:32px;align-items:center}.big{font-size:26px;font-weight:600}
table{border-collapse:collapse;margin-top:8px}td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
th[scope=row]{text-align:left;font-weight:normal;max-width:320px;overflow:hidden;text-overflow:ellipsis}
.chart text{font-size:12px;fill:#333}.note{color:#666}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
code{background:#f3f3f3;padding:0 3px}
</style></head>
<body>
<h1>Encryption audit of bucket <code>${esc(r.bucket)}</code>${r.aborted ? ' (stopped early: partial figures)' : ''}</h1>
<p>Source: ${src}. Generated ${esc(r.generatedAt)}. The audit made ${formatCount(r.requests.object)} object requests.</p>
<div class="summary">${donut(t)}
<table id="totals"><tbody>
<tr data-name="total"><th scope="row">objects</th>${cell('objects', t, formatCount(t.objects))}<th scope="row">bytes</th>${cell('bytes', t, formatBytes(t.bytes))}</tr>
<tr><th scope="row">encrypted</th>${cell('encryptedObjects', t, formatCount(t.encryptedObjects))}<th scope="row">encrypted bytes</th>${cell('encryptedBytes', t, formatBytes(t.encryptedBytes))}</tr>
<tr><th scope="row">plaintext</th>${cell('plaintextObjects', t, formatCount(t.plaintextObjects))}<th scope="row">plaintext bytes</th>${cell('plaintextBytes', t, formatBytes(t.plaintextBytes))}</tr>
<tr><th scope="row">unknown</th>${cell('unknownObjects', t, formatCount(t.unknownObjects))}<th scope="row">unknown bytes</th>${cell('unknownBytes', t, formatBytes(t.unknownBytes))}</tr>
</tbody></table></div>
<p class="legend"><span style="background:${COLORS.encrypted}"></span>encrypted<span style="background:${COLORS.plaintext}"></span>plaintext<span style="background:${COLORS.unknown}"></span>unknown (share of bytes)</p>
${sampling}
${bytesKnown ? '' : '<p class="note" id="bytes-unknown">Sizes are unknown (?): the inventory has no Size column, so shares are by objects.</p>'}
${noncurrent}
<h2>By prefix (depth ${r.depth}), largest plaintext first</h2>
${stackedBars('chart-prefix', r.byPrefix, (x) => prefixLabel(x.name))}
${table('by-prefix', r.byPrefix, (x) => prefixLabel(x.name))}
<h2>By storage class</h2>
${stackedBars('chart-class', r.byStorageClass, (x) => x.name)}
${table('by-class', r.byStorageClass, (x) => x.name)}
${algo}
<h2>Backfill of the plaintext part</h2>
<ul id="estimate">
<li>Objects to encrypt: <b data-value="${e.toEncrypt}">${formatCount(e.toEncrypt)}</b>${e.archivedPlaintext > 0 ? ` (plus <b data-value="${e.archivedPlaintext}">${formatCount(e.archivedPlaintext)}</b> plaintext objects in an archive class, skipped until restored)` : ''}</li>
<li>OSS requests with <code>--manifest</code>: <b data-value="${e.fromInventory.requests}">${formatCount(e.fromInventory.requests)}</b>; from a listing: <b data-value="${e.fromListing.requests}">${formatCount(e.fromListing.requests)}</b></li>
${time}
</ul>
</body></html>
`;
}
