import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockCheckpoint } from '../../src/backfill/lock';
import { CheckpointError } from '../../src/backfill/errors';

describe('checkpoint lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bf-lock-'));

  it('is exclusive while held and gone once released', () => {
    const cp = join(dir, 'a.json');
    const lock = lockCheckpoint(cp);
    expect(JSON.parse(readFileSync(`${cp}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => lockCheckpoint(cp)).toThrow(CheckpointError);
    expect(() => lockCheckpoint(cp)).toThrow(new RegExp(`is in use by process ${process.pid} on `));
    lock.release();
    expect(existsSync(`${cp}.lock`)).toBe(false);
    lockCheckpoint(cp).release();
  });

  it('takes over a lock left by a process of this host that no longer exists', () => {
    const cp = join(dir, 'b.json');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${cp}.lock`, JSON.stringify({ pid: Number(dead), host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
    const lock = lockCheckpoint(cp);
    expect(JSON.parse(readFileSync(`${cp}.lock`, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('refuses a lock from another host, saying how to clear it', () => {
    const cp = join(dir, 'c.json');
    writeFileSync(`${cp}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', startedAt: '2026-01-01T00:00:00Z' }));
    expect(() => lockCheckpoint(cp)).toThrow(/in use by process 1 on elsewhere, started 2026-01-01T00:00:00Z .*If no backfill is running with this checkpoint, delete .*c\.json\.lock/);
  });
});
