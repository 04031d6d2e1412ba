/**
 * One run per checkpoint and per report: `<checkpoint>.lock` (and `<report>.lock`) is created exclusively (O_EXCL) before the checkpoint is
 * read and removed when the run ends. Two runs on one checkpoint (a cron overlap) would each truncate
 * and append to the same report and overwrite each other's positions; the second is refused instead.
 *
 * A run killed with SIGKILL cannot remove its lock. The lock names its host and pid: on the same host,
 * a lock whose process no longer exists is stale and taken over; a lock from another host is refused
 * with the way out (delete it once no run is active there). Two runs taking over one stale lock at the
 * same instant could both succeed: that needs a crash and an overlap together, and is not guarded.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AutoEncryptError } from '../errors';
import { CheckpointError, ReportError } from './errors';

export interface CheckpointLock {
  readonly file: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function readInfo(file: string): LockInfo | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    return Number.isInteger(o.pid) && typeof o.host === 'string' ? (o as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

export function lockCheckpoint(checkpointFile: string): CheckpointLock {
  return takeLock(checkpointFile, 'checkpoint', (problem) => new CheckpointError(checkpointFile, problem));
}

/** The same for `--report`: two runs with different checkpoints and one report would interleave their rows. */
export function lockReport(reportFile: string): CheckpointLock {
  return takeLock(reportFile, 'report', (problem) => new ReportError(reportFile, problem));
}

function takeLock(target: string, what: string, error: (problem: string) => AutoEncryptError): CheckpointLock {
  const file = `${target}.lock`;
  const me: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw error(`cannot be locked: ${file} cannot be created (${(err as Error).message}); check the directory exists and is writable`);
      const other = readInfo(file);
      if (attempt === 0 && other && other.host === me.host && !alive(other.pid)) {
        rmSync(file, { force: true }); // stale: its run was killed
        continue;
      }
      const who = other ? `process ${other.pid} on ${other.host}, started ${other.startedAt}` : 'another run';
      throw error(`is in use by ${who} (lock file ${file}); wait for that run to end. If no backfill is running with this ${what}, delete ${file}`);
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
    } catch (err) {
      closeSync(fd);
      rmSync(file, { force: true });
      throw error(`cannot be locked: ${file} cannot be written (${(err as Error).message})`);
    }
    closeSync(fd);
    let released = false;
    return {
      file,
      release() {
        if (released) return;
        released = true;
        rmSync(file, { force: true });
      },
    };
  }
}
