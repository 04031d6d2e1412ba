/** Text rendering of replay results: one block per object, `ossutil stat` names, `before → after` where it changed. */
import { relative } from 'node:path';
import type { EventReplay, ObjectReplay, ReplayReport } from './replay';
import { rowRank, statRows } from './stat-view';
import { STDIN_PATH } from './event-files';

const NAME_WIDTH = 36;

export function formatEvent(e: EventReplay, cwd = process.cwd()): string {
  const lines: string[] = [];
  const n = e.objects.length;
  const scope = e.accountId ? `${e.region}, account ${e.accountId}` : e.region;
  lines.push(`== ${displayPath(e.file, cwd)}  (${e.eventNames.join(', ')}; ${n} object${n === 1 ? '' : 's'}; ${scope}; request ${e.requestId})`);
  if (e.error) lines.push(`   invocation failed: ${e.error.code}: ${e.error.message}`);
  for (const o of e.objects) lines.push(...formatObject(o));
  return lines.join('\n') + '\n';
}

export function formatObject(o: ObjectReplay): string[] {
  const lines = [`   oss://${o.bucket}/${o.key}${o.seeded ? `  [seeded: ${o.seeded}]` : ''}`];
  if (o.eventMismatch) lines.push(`   ${mismatchLine(o)}`);
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

/**
 * One line on why the event's eTag/size and the object's differ and what replay did about it. Embedded: the
 * seeded object cannot have the bytes behind someone else's eTag. Remote: the object changed since the event.
 */
function mismatchLine(o: ObjectReplay): string {
  const m = o.eventMismatch!;
  if (m.substituted) {
    const subs = [m.eTag && `eTag ${m.eTag.event} → ${m.eTag.seeded}`, m.size && `size ${m.size.event} → ${m.size.seeded}`].filter(Boolean).join(', ');
    return `event ${subs} (the seeded object's: a local copy cannot have the bytes behind the event's eTag); --keep-etag replays the event as is`;
  }
  const diffs = [m.eTag && `eTag ${m.eTag.event} is not the object's ${m.eTag.seeded}`, m.size && `size ${m.size.event} is not the object's ${m.size.seeded}`].filter(Boolean).join(', ');
  // Only the eTag decides (core/decide.ts): a size difference alone changes nothing for the handler.
  if (o.seeded) return `event kept as is (--keep-etag): its ${diffs}${m.eTag ? ', so the handler sees another object than the event\'s' : ''}`;
  return `event replayed as is: its ${diffs}${m.eTag ? ' (the object changed since the event), so the handler leaves the object alone' : ''}`;
}

function displayPath(file: string, cwd: string): string {
  return file === STDIN_PATH ? file : relative(cwd, file) || file;
}

export function formatTotals(r: ReplayReport): string {
  const t = r.totals;
  const label = (c: ReplayReport['contexts'][number]) => (c.accountId ? `${c.region}/${c.accountId}` : c.region);
  const where = r.mode === 'remote'
    ? `OSS ${[...new Set(r.contexts.map((c) => c.endpoint))].join(', ') || r.endpoint}`
    : r.contexts.length > 1
      ? `embedded local OSS in ${r.contexts.map((c) => `${label(c)} (${c.endpoint})`).join(', ')}`
      : `embedded local OSS ${r.endpoint}`;
  const errors = t.eventErrors ? `, ${t.eventErrors} invocation${t.eventErrors === 1 ? '' : 's'} failed` : '';
  return `${t.events} event${t.events === 1 ? '' : 's'}, ${t.objects} object${t.objects === 1 ? '' : 's'} on ${where}: ` +
    `${t.encrypted} encrypted, ${t.skipped} skipped, ${t.failed} failed${errors}\n`;
}
