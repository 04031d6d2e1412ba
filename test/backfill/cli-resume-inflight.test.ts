/**
 * A resumed run keeps the interrupted run's in-flight keys in its checkpoint until each is finished, even when it
 * is killed before its pool restarts them (hostile review F1). Through the real CLI in a child process; a proxy
 * holds the requests that must be in flight when each run is killed, so nothing races a timer.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { runCliProcess } from '../cli/run-cli';
import { startProxy } from './http-proxy';

const cli = (args: string[], env: Record<string, string>, onSpawn?: (c: ChildProcess) => void) =>
  runCliProcess(['backfill', ...args], env, onSpawn ? { onSpawn } : {});

interface Cp { position: { ordinal: number }; inFlight: string[] }

/** Resolves when `file` parses and `ok` says so (polled: the file is the child's). */
function whenFile(file: string, ok: (v: Cp) => boolean): Promise<Cp> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      try {
        const v = JSON.parse(readFileSync(file, 'utf8')) as Cp;
        if (ok(v)) {
          clearInterval(t);
          resolve(v);
        }
      } catch {
        // not there yet
      }
    }, 10);
  });
}

/** Resolves once `n` requests matched (the proxy calls `hit` for each). */
function counter(n: number): { hit: () => void; reached: Promise<void> } {
  let seen = 0;
  let done!: () => void;
  const reached = new Promise<void>((r) => (done = r));
  return { hit: () => void (++seen === n && done()), reached };
}

describe('backfill CLI: a resume killed before it restarts the in-flight keys (F1)', () => {
  let oss: LocalOss;
  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['resume-inflight'] });
  });
  afterAll(async () => oss.close());

  it('three runs (kill -9, kill -9 right after the resume, resume): every object ends encrypted with exactly one report row', async () => {
    const bucket = 'resume-inflight';
    const keys = Array.from({ length: 20 }, (_, i) => `y/${String(i).padStart(5, '0')}`);
    const c = ossClient(oss, bucket);
    await Promise.all(keys.map((k) => c.put(k, Buffer.from(k))));
    const held = keys.slice(4, 8);
    const paths = new Set(held.map((k) => `/${k}`));
    const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, RETRY_BASE_DELAY_MS: '1' };
    const dir = mkdtempSync(join(tmpdir(), 'bf-inflight-'));
    const cp = join(dir, 'cp.json');
    const report = join(dir, 'r.csv');
    const never = new Promise<void>(() => undefined); // held requests are never let through: the killed run's copies never happen
    const args = (endpoint: string) => ['--bucket', bucket, '--region', oss.region, '--endpoint', endpoint, '--checkpoint', cp, '--report', report, '--concurrency', '4'];

    // Run 1: y/00000..3 finish, the copies of y/00004..7 are held; killed once the checkpoint has them in flight.
    const p1 = await startProxy(oss.endpoint, (req) => (req.method === 'PUT' && req.headers['x-oss-copy-source'] && paths.has(req.url ?? '') ? { hold: never, stage: 'request' } : undefined));
    try {
      const r1 = cli(args(p1.endpoint), env, (child) => {
        void whenFile(cp, (v) => v.position.ordinal === 8 && [...v.inFlight].sort().join() === held.join()).then(() => child.kill('SIGKILL'));
      });
      expect((await r1).signal).toBe('SIGKILL');
    } finally {
      await p1.close();
    }

    // Run 2: its first requests (the HEADs redoing y/00004..7) are held; killed once all four are waiting, before any
    // object finishes, so the checkpoint on disk is the one the resume wrote at its start.
    const heads = counter(4);
    const p2 = await startProxy(oss.endpoint, (req) => {
      if (req.method === 'HEAD' && paths.has(req.url ?? '')) heads.hit();
      return { hold: never, stage: 'request' };
    });
    try {
      const r2 = cli(args(p2.endpoint), env, (child) => void heads.reached.then(() => child.kill('SIGKILL')));
      expect((await r2).signal).toBe('SIGKILL');
    } finally {
      await p2.close();
    }
    const after2 = JSON.parse(readFileSync(cp, 'utf8')) as Cp;
    expect([...after2.inFlight].sort()).toEqual(held);

    // Run 3: nothing held.
    const r3 = await cli(args(oss.endpoint), env);
    expect([r3.code, r3.stderr]).toEqual([0, '']);
    for (const k of keys) expect(((await c.head(k)).res.headers as Record<string, string>)['x-oss-server-side-encryption']).toBe('AES256');
    const rows = readFileSync(report, 'utf8').trim().split('\r\n').slice(1).map((l) => l.split(',')[0]);
    expect(rows.sort()).toEqual(keys);
  });
});
