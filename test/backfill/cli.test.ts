/**
 * The CLI as a user runs it (a child process against the local OSS): exit codes and one-line errors,
 * and a run killed with SIGKILL midway, restarted with the same checkpoint, that finishes with every
 * object copied exactly once and exactly one report row per object.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { runCliProcess } from '../cli/run-cli';

const cli = (args: string[], env: Record<string, string>, onSpawn?: (kill: () => void) => void) =>
  runCliProcess(['backfill', ...args], env, onSpawn ? { onSpawn: (child) => onSpawn(() => child.kill('SIGKILL')) } : {});

describe('backfill CLI', () => {
  let oss: LocalOss;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'bf-cli-'));

  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['cli-kill'] });
    env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret };
  });
  afterAll(async () => oss.close());

  it('bad flags: every problem on stderr, exit 2', async () => {
    const r = await cli(['--concurrency', '0x'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^oss-auto-encrypt backfill: Invalid backfill options: --bucket is required; --region is required.*--concurrency must be a whole number.*credentials missing/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack for an expected error
  });

  it('a missing bucket: one clear line, exit 1, no report written', async () => {
    const report = join(dir, 'none.csv');
    const r = await cli(['--bucket', 'no-such-bucket', '--region', oss.region, '--endpoint', oss.endpoint, '--report', report], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^oss-auto-encrypt backfill: Cannot list bucket "no-such-bucket": NoSuchBucket \(HTTP 404/);
    expect(r.stderr).not.toContain(oss.accessKeySecret);
    expect(existsSync(report)).toBe(false);
  });

  it('an unreadable checkpoint: one clear line, exit 1, report and checkpoint untouched', async () => {
    const report = join(dir, 'keep.csv');
    const checkpoint = join(dir, 'bad-cp.json');
    writeFileSync(report, 'earlier rows\n');
    writeFileSync(checkpoint, '{"version":');
    const r = await cli(['--bucket', 'cli-kill', '--region', oss.region, '--endpoint', oss.endpoint, '--checkpoint', checkpoint, '--report', report], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`oss-auto-encrypt backfill: Checkpoint ${checkpoint} is not valid JSON (was it written by another tool, or truncated by hand?).`);
    expect(readFileSync(report, 'utf8')).toBe('earlier rows\n');
    expect(readFileSync(checkpoint, 'utf8')).toBe('{"version":');
  });

  it('killed with SIGKILL midway and restarted with the same checkpoint: every object copied exactly once, one report row each', async () => {
    const bucket = 'cli-kill';
    const c = ossClient(oss, bucket);
    const keys = Array.from({ length: 400 }, (_, i) => `obj/${String(i).padStart(4, '0')}`);
    await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
    oss.requestLog.clear();
    oss.setLatency(10);
    const checkpoint = join(dir, 'kill-cp.json');
    const report = join(dir, 'kill.csv');
    const args = ['--bucket', bucket, '--region', oss.region, '--endpoint', oss.endpoint, '--concurrency', '4', '--checkpoint', checkpoint, '--report', report];
    try {
      let killedAt = -1;
      const first = await cli(args, env, (kill) => {
        const poll = setInterval(() => {
          if (!existsSync(checkpoint)) return;
          try {
            const cp = JSON.parse(readFileSync(checkpoint, 'utf8')) as { counts: { encrypted: number }; complete: boolean };
            if (cp.counts.encrypted >= 40 && !cp.complete) {
              killedAt = cp.counts.encrypted;
              clearInterval(poll);
              kill();
            }
          } catch {
            // mid-rename: try again on the next tick
          }
        }, 20);
      });
      expect(first.signal).toBe('SIGKILL');
      expect(killedAt).toBeGreaterThanOrEqual(40);
      const copiesBefore = oss.requestLog.entries().filter((e) => e.op === 'CopyObject' && e.status === 200).length;
      expect(copiesBefore).toBeLessThan(400);

      const second = await cli(args, env);
      expect(second.stderr).toBe('');
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/^backfill finished in .*: seen 400 {2}encrypted \d+ {2}skipped \d+ {2}failed 0/);
    } finally {
      oss.setLatency(0);
    }
    const copies = new Map<string, number>();
    for (const e of oss.requestLog.entries()) if (e.op === 'CopyObject') copies.set(e.key as string, (copies.get(e.key as string) ?? 0) + 1);
    // Never two copies of one object. The local OSS logs a request when its response has been sent, so a
    // copy whose client was SIGKILLed mid-request may be done but unlogged: at most the 4 in flight.
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    const unlogged = keys.filter((k) => !copies.has(k));
    expect(unlogged.length).toBeLessThanOrEqual(4);
    for (const k of keys) expect([k, (await ossClient(oss, bucket).head(k)).res.headers['x-oss-server-side-encryption' as keyof object]]).toEqual([k, 'AES256']);

    const lines = readFileSync(report, 'utf8').trim().split('\r\n'); // RFC 4180 line ends
    expect(lines[0]).toBe('key,outcome,reason,algorithm,kmsKeyId,size,error');
    const rowKeys = lines.slice(1).map((l) => l.split(',')[0]);
    expect(rowKeys.length).toBe(400);
    expect([...rowKeys].sort()).toEqual(keys);
    // A copy that completed in OSS just before the kill, but was not yet checkpointed, is found
    // encrypted by the restarted run within the interrupted run's window: its one row says what happened
    // to the object (encrypted, by the interrupted run), and no second copy is made.
    for (const l of lines.slice(1)) expect(l).toMatch(/^obj\/\d{4},encrypted,(unencrypted|copied-before-interruption),AES256,/);
  });
});
