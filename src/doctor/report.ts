/**
 * The doctor's checklist: one line per check, ✔ ok / ✗ fail / ! warn / – skipped, each with what was checked,
 * what was found and (for ✗ and !) a one-line fix. Pure data; src/doctor/format.ts renders it.
 */
export type CheckStatus = 'ok' | 'fail' | 'warn' | 'skip';

export type CheckGroup = 'credentials' | 'bucket' | 'policy' | 'probe' | 'function' | 'delivery' | 'evidence';

export interface Check {
  /** Stable id for machines (`--json`), e.g. `bucket.versioning`. */
  id: string;
  group: CheckGroup;
  /** What was checked, e.g. "Versioning". */
  title: string;
  status: CheckStatus;
  /** What was found, one line. */
  found: string;
  /** What to do about it (✗ and !). */
  fix?: string;
  /** Extra lines (differences, per-field results). */
  details?: string[];
}

export interface DoctorReport {
  bucket: string;
  region: string;
  endpoint: string;
  function?: string;
  checks: Check[];
  /** Scratch objects (and their versions) removed at the end. */
  cleanup: { removedVersions: number; leftBehind: string[] };
  interrupted: boolean;
  /** The signal that interrupted the run (set by the CLI), when not Ctrl-C. */
  interruptedBy?: 'SIGINT' | 'SIGTERM' | 'SIGHUP';
  durationMs: number;
}

export const ok = (group: CheckGroup, id: string, title: string, found: string, details?: string[]): Check => ({ id, group, title, status: 'ok', found, ...(details?.length ? { details } : {}) });
export const fail = (group: CheckGroup, id: string, title: string, found: string, fix: string, details?: string[]): Check => ({ id, group, title, status: 'fail', found, fix, ...(details?.length ? { details } : {}) });
export const warn = (group: CheckGroup, id: string, title: string, found: string, fix: string, details?: string[]): Check => ({ id, group, title, status: 'warn', found, fix, ...(details?.length ? { details } : {}) });
export const skip = (group: CheckGroup, id: string, title: string, found: string): Check => ({ id, group, title, status: 'skip', found });

/** 0 when nothing is ✗ and the cleanup left nothing behind; 1 otherwise. */
export function exitCode(report: DoctorReport): number {
  return report.checks.some((c) => c.status === 'fail') || report.cleanup.leftBehind.length > 0 ? 1 : 0;
}
