/** Text rendering of replay results: one block per object, `ossutil stat` names, `before → after` where it changed. */
import { relative } from 'node:path';
import type { EventReplay, ObjectReplay, ReplayReport } from './replay';
import { rowRank, statRows } from './stat-view';

const NAME_WIDTH = 36;

export function formatEvent(e: EventReplay, cwd = process.cwd()): string {
  const lines: string[] = [];
  const n = e.objects.length;
  lines.push(`== ${relative(cwd, e.file) || e.file}  (${e.eventNames.join(', ')}; ${n} object${n === 1 ? '' : 's'}; request ${e.requestId})`);
  if (e.error) lines.push(`   invocation failed: ${e.error.code}: ${e.error.message}`);
  for (const o of e.objects) lines.push(...formatObject(o));
  return lines.join('\n') + '\n';
}

export function formatObject(o: ObjectReplay): string[] {
  const lines = [`   oss://${o.bucket}/${o.key}${o.seeded ? `  [seeded: ${o.seeded}]` : ''}`];
  const r = o.result;
  if (r) {
    const how = [r.method, r.algorithm, r.kmsKeyId, r.dryRun ? 'dry run' : undefined, `${Math.round(r.durationMs)} ms`].filter(Boolean).join(', ');
    lines.push(`   ${r.outcome.toUpperCase()}: ${r.reason}${how ? ` (${how})` : ''}`);
    if (r.error) lines.push(`   error: ${r.error.code}: ${r.error.message}`);
  } else {
    lines.push('   FAILED: no result (the invocation failed before this object)');
  }
  const before = new Map(statRows(o.before));
  const after = new Map(statRows(o.after));
  const names = [...new Set([...before.keys(), ...after.keys()])]
    .sort((a, b) => rowRank(a) - rowRank(b) || a.localeCompare(b));
  for (const name of names) {
    const b = before.get(name) ?? '-';
    const a = after.get(name) ?? '-';
    lines.push(`     ${name.padEnd(NAME_WIDTH)}: ${a === b ? b : `${b}  →  ${a}`}`);
  }
  return lines;
}

export function formatTotals(r: ReplayReport): string {
  const t = r.totals;
  const where = r.mode === 'embedded' ? `embedded local OSS ${r.endpoint}` : `OSS ${r.endpoint}`;
  const errors = t.eventErrors ? `, ${t.eventErrors} invocation${t.eventErrors === 1 ? '' : 's'} failed` : '';
  return `${t.events} event${t.events === 1 ? '' : 's'}, ${t.objects} object${t.objects === 1 ? '' : 's'} on ${where}: ` +
    `${t.encrypted} encrypted, ${t.skipped} skipped, ${t.failed} failed${errors}\n`;
}
