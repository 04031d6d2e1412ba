/** The checklist as text (one line per check, fix lines under ✗ and !) or as one JSON document. */
import type { CheckGroup, CheckStatus, DoctorReport } from './report';

export const MARK: Record<CheckStatus, string> = { ok: '✔', fail: '✗', warn: '!', skip: '–' };

const GROUPS: Array<[CheckGroup, string]> = [
  ['credentials', 'Credentials'], ['bucket', 'Bucket'], ['policy', 'Policy'], ['probe', 'Semantics probe'],
  ['function', 'Deployed function'], ['delivery', 'Trigger delivery'], ['evidence', 'Observed in this account (the open points of the evidence file)'],
];

export function formatText(r: DoctorReport): string {
  const out = [`oss-auto-encrypt doctor: oss://${r.bucket} in ${r.region} (${r.endpoint})${r.function ? `, function ${r.function}` : ''}`, ''];
  for (const [group, heading] of GROUPS) {
    const checks = r.checks.filter((c) => c.group === group);
    if (!checks.length) continue;
    out.push(heading);
    for (const c of checks) {
      out.push(`  ${MARK[c.status]} ${c.title}: ${c.found}`);
      for (const d of c.details ?? []) out.push(`      · ${d}`);
      if (c.fix && (c.status === 'fail' || c.status === 'warn')) out.push(`      fix: ${c.fix}`);
    }
    out.push('');
  }
  if (r.interrupted) out.push(`Interrupted (${!r.interruptedBy || r.interruptedBy === 'SIGINT' ? 'Ctrl-C' : r.interruptedBy}): the remaining checks were not run.`);
  out.push(r.cleanup.leftBehind.length
    ? `✗ Scratch objects: ${r.cleanup.removedVersions} version(s) removed, but LEFT BEHIND: ${r.cleanup.leftBehind.join(', ')}; delete them by hand.`
    : `Scratch objects: ${r.cleanup.removedVersions} version(s) written and removed; nothing left behind.`);
  const n = (s: CheckStatus) => r.checks.filter((c) => c.status === s).length;
  out.push(`Result: ${n('ok')} ✔  ${n('fail')} ✗  ${n('warn')} !  ${n('skip')} –  in ${(r.durationMs / 1000).toFixed(1)} s`);
  return out.join('\n') + '\n';
}

export function formatJson(r: DoctorReport, exit: number): string {
  return JSON.stringify({ ...r, exitCode: exit }, null, 2) + '\n';
}
