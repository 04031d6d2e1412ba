/**
 * issue 15 (and issue 10 item 12), each case through the real CLI in a child process, against the
 * local OSS and, for fan-out, the local FC endpoint running the real handler. Where a race matters
 * (a copy done in OSS but unanswered when the CLI dies, one slow object), a proxy holds that request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startTestOss, ossClient } from '../helpers/local-oss';
import { startLocalFc, type LocalFc } from '../helpers/local-fc';
import { createHandler } from '../../src/function/create-handler';
import { createLogger } from '../../src/log';
import type { LocalOss } from '../../src/local-oss';
import { runCliProcess } from '../cli/run-cli';
import { cliBuckets } from './cli-buckets';
import { writeInventory } from './inventory-fixture';
import { gate, startProxy } from './http-proxy';

const ROOT = join(__dirname, '..', '..');
const ACCOUNT = '1234567890123456';

function cli(args: string[], env: Record<string, string>, o: { fileSizeLimitKb?: number; onSpawn?: (c: ChildProcess) => void } = {}) {
  return runCliProcess(['backfill', ...args], env, {
    ...(o.onSpawn ? { onSpawn: o.onSpawn } : {}),
    // `ulimit -f` makes writes beyond the limit fail with EFBIG, as a full disk fails them with ENOSPC.
    ...(o.fileSizeLimitKb !== undefined ? { wrap: (line: string[]) => ['bash', '-c', `ulimit -f ${o.fileSizeLimitKb}; exec "$0" "$@"`, ...line] } : {}),
  });
}

const sse = async (oss: LocalOss, bucket: string, key: string) => {
  const h = (await ossClient(oss, bucket).head(key)).res.headers as Record<string, string>;
  return { alg: h['x-oss-server-side-encryption'], keyId: h['x-oss-server-side-encryption-key-id'], data: h['x-oss-server-side-data-encryption'] };
};

/** Resolves when `file` parses as JSON and `ok` says so (polled: the file is the child's). */
function whenFile<T>(file: string, ok: (v: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      try {
        const v = JSON.parse(readFileSync(file, 'utf8')) as T;
        if (ok(v)) {
          clearInterval(t);
          resolve(v);
        }
      } catch {
        // not there yet, or mid-rename
      }
    }, 10);
  });
}

const copiesOf = (oss: LocalOss, bucket: string) => oss.requestLog.entries().filter((e) => e.bucket === bucket && e.op === 'CopyObject' && e.status === 200).length;

/** A local OSS, the CLI's environment for it, and a local FC endpoint running the real handler against it. */
async function startStack(ossOpts: Parameters<typeof startTestOss>[0] = {}): Promise<{ oss: LocalOss; env: Record<string, string>; fc: LocalFc }> {
  const oss = await startTestOss({ buckets: [], ...ossOpts });
  const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, RETRY_BASE_DELAY_MS: '1' };
  const { handler } = createHandler({ env: { OSS_ENDPOINT: oss.endpoint }, logger: createLogger({ level: 'silent' }) });
  const fc = await startLocalFc({
    accountId: ACCOUNT,
    accessKeyId: oss.accessKeyId,
    accessKeySecret: oss.accessKeySecret,
    region: oss.region,
    functions: ['auto-encrypt'],
    credentials: () => oss.issueStsCredentials(),
    handler: (event, context) => handler(event, context),
  });
  return { oss, env, fc };
}

describe('backfill CLI, round two (issue 15)', () => {
  let oss: LocalOss;
  let fc: LocalFc;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'bf-r2-'));
  const { bucketWith, base } = cliBuckets(() => oss, 'r2');

  beforeAll(async () => {
    ({ oss, env, fc } = await startStack({ kms: { enabled: true, keys: [{ id: 'cmk-1' }] } }));
  });
  afterAll(async () => {
    await fc.close();
    await oss.close();
  });

  describe('1. a dry run never changes anything, also with --fanout', () => {
    it.each([
      ['--dry-run', {}],
      ['DRY_RUN=true', { DRY_RUN: 'true' }],
    ])('%s with --fanout is refused before anything is sent or written (exit 2)', async (_name, extra) => {
      const bucket = await bucketWith(['a.txt', 'b.txt']);
      const report = join(dir, `dry-fan-${bucket}.csv`);
      const checkpoint = join(dir, `dry-fan-${bucket}.json`);
      const before = fc.invocations.length;
      const args = [...base(bucket), '--fanout', 'auto-encrypt', '--account-id', ACCOUNT, '--fc-endpoint', fc.endpoint, '--report', report, '--checkpoint', checkpoint];
      const r = await cli(_name === '--dry-run' ? [...args, '--dry-run'] : args, { ...env, ...extra });
      await fc.idle();
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/a dry run cannot be fanned out: the deployed function applies its own settings/);
      expect(fc.invocations.length).toBe(before);
      expect(existsSync(report) || existsSync(checkpoint)).toBe(false);
      expect((await sse(oss, bucket, 'a.txt')).alg).toBeUndefined();
    });
  });

  it('2. a refreshed inventory at the same path is refused on resume; nothing is skipped silently', async () => {
    const bucket = await bucketWith([...Array.from({ length: 30 }, (_, i) => `old/${i}`), ...Array.from({ length: 30 }, (_, i) => `new/${i}`)]);
    const a = writeInventory(bucket, [Array.from({ length: 30 }, (_, i) => ({ key: `old/${i}` }))]);
    const checkpoint = join(dir, 'inv-cp.json');
    const first = await cli([...base(bucket), '--manifest', a.manifest, '--checkpoint', checkpoint], env);
    expect(first.code).toBe(0);
    // The next day's inventory, downloaded to the same path (same data file name, other content).
    const b = writeInventory(bucket, [Array.from({ length: 30 }, (_, i) => ({ key: `new/${i}` }))]);
    for (const f of ['manifest.json', 'manifest.checksum']) copyFileSync(join(dirname(b.manifest), f), join(dirname(a.manifest), f));
    writeFileSync(a.dataFiles[0]!, readFileSync(b.dataFiles[0]!));
    const m = JSON.parse(readFileSync(a.manifest, 'utf8')) as Record<string, unknown>;
    expect(m.files).toEqual(JSON.parse(readFileSync(b.manifest, 'utf8')).files);
    const second = await cli([...base(bucket), '--manifest', a.manifest, '--checkpoint', checkpoint], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/Checkpoint .*inv-cp\.json was written for another inventory at .*manifest\.json \(creationTimestamp \d+, MD5 [0-9a-f]{32}\); that file is now .*MD5 [0-9a-f]{32}\)\. A refreshed inventory .* start a new --checkpoint/);
    expect((await sse(oss, bucket, 'new/0')).alg).toBeUndefined(); // not reported as done either
    const fresh = await cli([...base(bucket), '--manifest', a.manifest, '--checkpoint', join(dir, 'inv-cp2.json')], env);
    expect(fresh.code).toBe(0);
    expect((await sse(oss, bucket, 'new/29')).alg).toBe('AES256');
  });

  describe('4. SSE_RULES', () => {
    it('a rule that only sets SM4 keeps the default CMK; a rule that changes the algorithm inherits no KMS field', async () => {
      const bucket = await bucketWith(['gov/a', 'eu/b', 'x/c']);
      const r = await cli(base(bucket), {
        ...env,
        SSE_ALGORITHM: 'KMS',
        SSE_KMS_KEY_ID: 'cmk-1',
        SSE_RULES: JSON.stringify([{ prefix: 'gov/', kmsDataEncryption: 'SM4' }, { prefix: 'x/', algorithm: 'AES256' }]),
      });
      expect([r.code, r.stderr]).toEqual([0, '']);
      expect(await sse(oss, bucket, 'gov/a')).toEqual({ alg: 'KMS', keyId: 'cmk-1', data: 'SM4' });
      expect(await sse(oss, bucket, 'eu/b')).toEqual({ alg: 'KMS', keyId: 'cmk-1', data: undefined });
      expect(await sse(oss, bucket, 'x/c')).toEqual({ alg: 'AES256', keyId: undefined, data: undefined });
    });

    it.each([
      [{ prefix: '/gov/', skip: true }, /SSE_RULES\[0\]\.prefix "\/gov\/" starts with "\/", which no OSS object key does.*write it without the leading "\/", e\.g\. "gov\/"/],
      [{ prefix: 'logs/*.tmp', skip: true }, /SSE_RULES\[0\]\.prefix "logs\/\*\.tmp" contains a wildcard, but rules match a literal key prefix.*e\.g\. "logs\/"/],
    ])('a prefix that can never match is refused with a clear error, nothing touched: %j', async (rule, message) => {
      const bucket = await bucketWith(['gov/a']);
      const r = await cli(base(bucket), { ...env, SSE_RULES: JSON.stringify([rule]) });
      expect(r.code).toBe(2); // a bad variable is bad input, exit 2 as in every other command
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect((await sse(oss, bucket, 'gov/a')).alg).toBeUndefined();
    });
  });

  it('5. an object named "Key" in the first row of an inventory data file is processed, a real header row is not', async () => {
    const bucket = await bucketWith(['Key', 'other']);
    const inv = writeInventory(bucket, [[{ key: 'Key' }, { key: 'other' }]]);
    const report = join(dir, 'header.jsonl');
    const r = await cli([...base(bucket), '--manifest', inv.manifest, '--report', report], env);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect((await sse(oss, bucket, 'Key')).alg).toBe('AES256');
    expect(readFileSync(report, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { key: string }).key).sort()).toEqual(['Key', 'other']);
  });
});

describe('backfill CLI, round two: the audit trail', () => {
  let oss: LocalOss;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'bf-r2a-'));
  const { bucketWith, base } = cliBuckets(() => oss, 'r2a');
  beforeAll(async () => {
    oss = await startTestOss({ buckets: [] });
    env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, RETRY_BASE_DELAY_MS: '1' };
  });
  afterAll(async () => oss.close());

  describe('6. the report is tied to the checkpoint', () => {
    it('a resume with --report after a run without one, or with another report or format, is refused; the report is untouched', async () => {
      const bucket = await bucketWith(['a', 'b']);
      const cpNone = join(dir, 'none-cp.json');
      expect((await cli([...base(bucket), '--checkpoint', cpNone], env)).code).toBe(0);
      const late = join(dir, 'late.csv');
      const r1 = await cli([...base(bucket), '--checkpoint', cpNone, '--report', late], env);
      expect(r1.code).toBe(1);
      expect(r1.stderr).toMatch(/was started without --report, so the rows of the 2 objects it already finished exist nowhere/);
      expect(existsSync(late)).toBe(false);

      const cp = join(dir, 'rep-cp.json');
      const report = join(dir, 'rep.csv');
      expect((await cli([...base(bucket), '--checkpoint', cp, '--report', report], env)).code).toBe(0);
      const rows = readFileSync(report, 'utf8');
      const other = join(dir, 'other.csv');
      writeFileSync(other, 'keep me\r\n');
      for (const extra of [[], ['--report', other], ['--report', report, '--report-format', 'jsonl']]) {
        const r = await cli([...base(bucket), '--checkpoint', cp, ...extra], env);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/keeps its rows in the report .*rep\.csv.*resume with the same --report .*rep\.csv --report-format csv/);
      }
      expect(readFileSync(report, 'utf8')).toBe(rows);
      expect(readFileSync(other, 'utf8')).toBe('keep me\r\n');
    });

    it('--report equal to --checkpoint is refused (exit 2) and the checkpoint is kept', async () => {
      const bucket = await bucketWith(['a']);
      const cp = join(dir, 'same.json');
      expect((await cli([...base(bucket), '--checkpoint', cp], env)).code).toBe(0);
      const before = readFileSync(cp, 'utf8');
      const r = await cli([...base(bucket), '--checkpoint', cp, '--report', cp], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--report .*same\.json is also --checkpoint; give the report its own file/);
      expect(readFileSync(cp, 'utf8')).toBe(before);
    });

    it('--checkpoint equal to the report\'s lock file is refused (exit 2) before anything is written', async () => {
      // Before: the report lock was taken on the checkpoint's file, and releasing it deleted the checkpoint.
      const bucket = await bucketWith(['a']);
      const report = join(dir, 'locked.csv');
      const r = await cli([...base(bucket), '--report', report, '--checkpoint', `${report}.lock`], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--checkpoint .*locked\.csv\.lock is also the lock file of --report .*locked\.csv/);
      expect(existsSync(report)).toBe(false);
      expect(existsSync(`${report}.lock`)).toBe(false);
    });
  });

  it('7. a second run on a checkpoint in use is refused; the first finishes with one row per object', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `l/${String(i).padStart(2, '0')}`);
    const bucket = await bucketWith(keys);
    const held = gate();
    const proxy = await startProxy(oss.endpoint, (req) => {
      if (req.method === 'PUT' && req.headers['x-oss-copy-source'] && req.url === '/l/05') {
        held.arrive();
        return { hold: held.wait, stage: 'request' };
      }
      return undefined;
    });
    const cp = join(dir, 'lock-cp.json');
    const report = join(dir, 'lock.csv');
    const args = [...base(bucket, proxy.endpoint), '--checkpoint', cp, '--report', report, '--concurrency', '2'];
    try {
      const first = cli(args, env);
      await held.reached;
      const second = await cli(args, env);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Checkpoint .*lock-cp\.json is in use by process \d+ on .*, started .* \(lock file .*lock-cp\.json\.lock\); wait for that run to end\. If no backfill is running with this checkpoint, delete/);
      held.open();
      expect((await first).code).toBe(0);
    } finally {
      held.open();
      await proxy.close();
    }
    const lines = readFileSync(report, 'utf8').trim().split('\r\n').slice(1);
    expect(lines.map((l) => l.split(',')[0]).sort()).toEqual(keys);
    expect(existsSync(`${cp}.lock`)).toBe(false);
  });

  it('8. CSV cells that a spreadsheet would run as formulas are neutralised (CRLF rows); JSON lines keep exact keys', async () => {
    const keys = ["=cmd|' /C calc'!A0", '@SUM(1)', '-2+3', '+1', "'quoted", '\tTab', 'plain'];
    const bucket = await bucketWith(keys);
    const csv = join(dir, 'inj.csv');
    expect((await cli([...base(bucket), '--report', csv, '--dry-run'], env)).code).toBe(0);
    const text = readFileSync(csv, 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
    const cells = text.trim().split('\r\n').slice(1).map((l) => (l.startsWith('"') ? l.slice(1, l.indexOf('",')).replace(/""/g, '"') : l.split(',')[0]!));
    for (const c of cells) expect(c).not.toMatch(/^[=+\-@\t\r]/);
    expect(cells.sort()).toEqual(["'+1", "'-2+3", "'=cmd|' /C calc'!A0", "'@SUM(1)", "'\tTab", "''quoted", 'plain'].sort());
    const jsonl = join(dir, 'inj.jsonl');
    expect((await cli([...base(bucket), '--report', jsonl, '--dry-run'], env)).code).toBe(0);
    expect(readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { key: string }).key).sort()).toEqual([...keys].sort());
  });

  describe('9. write errors stop the run at once, name the right file, leave no temp file', () => {
    it('a checkpoint that cannot be written stops the run after the objects in flight', async () => {
      const keys = Array.from({ length: 200 }, (_, i) => `${'k'.repeat(900)}${String(i).padStart(3, '0')}`);
      const bucket = await bucketWith(keys);
      const cpDir = mkdtempSync(join(tmpdir(), 'bf-r2-cpfull-'));
      const r = await cli([...base(bucket), '--checkpoint', join(cpDir, 'cp.json'), '--concurrency', '2'], env, { fileSizeLimitKb: 1 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^oss-auto-encrypt backfill: Checkpoint .*cp\.json cannot be written \(EFBIG.*\); the run stopped after the objects in flight/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // At most the items covered by the last checkpoint on disk (its 64-item reservation), never the whole bucket.
      expect(copiesOf(oss, bucket)).toBeLessThanOrEqual(64);
      expect(readdirSync(cpDir).filter((f) => f.includes('.tmp'))).toEqual([]);
    });

    it('a report that cannot be written is named as the report, not the checkpoint', async () => {
      const keys = Array.from({ length: 400 }, (_, i) => `r/${String(i).padStart(4, '0')}`);
      const bucket = await bucketWith(keys);
      const outDir = mkdtempSync(join(tmpdir(), 'bf-r2-repfull-'));
      oss.setLatency(2);
      try {
        const r = await cli([...base(bucket), '--checkpoint', join(outDir, 'cp.json'), '--report', join(outDir, 'r.jsonl'), '--concurrency', '4'], env, { fileSizeLimitKb: 8 });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^oss-auto-encrypt backfill: Report .*r\.jsonl cannot be written: the file size limit was reached \(EFBIG\)/);
        expect(r.stderr).not.toMatch(/Checkpoint|\n\s+at /);
      } finally {
        oss.setLatency(0);
      }
      expect(readdirSync(outDir).filter((f) => f.includes('.tmp'))).toEqual([]);
      const cp = JSON.parse(readFileSync(join(outDir, 'cp.json'), 'utf8')) as { reportBytes: number };
      expect(cp.reportBytes).toBeLessThanOrEqual(8 * 1024); // the checkpoint never counts rows that are not on disk
    });

    it('--report /dev/full: one clear line, exit 1, nothing encrypted', async () => {
      const bucket = await bucketWith(['a', 'b']);
      const r = await cli([...base(bucket), '--report', '/dev/full', '--report-format', 'csv'], env);
      expect(r.code).toBe(1);
      // A device is refused before anything is processed (cli-report-target.test.ts has the resume and jsonl cases).
      expect(r.stderr.trim()).toBe('oss-auto-encrypt backfill: Report /dev/full is not a regular file (a pipe, a device or a directory): the report is written at positions and cut back on resume, so pass the path of a file.');
      expect(copiesOf(oss, bucket)).toBe(0);
    });
  });
});

describe('backfill CLI, round two: fan-out targets, wording, a bounded checkpoint', () => {
  let oss: LocalOss;
  let fc: LocalFc;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'bf-r2b-'));
  const { bucketWith, base } = cliBuckets(() => oss, 'r2b');
  beforeAll(async () => {
    ({ oss, env, fc } = await startStack());
  });
  afterAll(async () => {
    await fc.close();
    await oss.close();
  });

  describe('14. --fanout', () => {
    it.each([['no-such-function', /FunctionNotFound/], ['bad name!', /not a valid FC function name/]])('a bad function name (%s) exits 2 with nothing written', async (fn, why) => {
      const bucket = await bucketWith(['a', 'b', 'c']);
      const report = join(dir, `badfn-${bucket}.csv`);
      const checkpoint = join(dir, `badfn-${bucket}.json`);
      const r = await cli([...base(bucket), '--fanout', fn, '--account-id', ACCOUNT, '--fc-endpoint', fc.endpoint, '--report', report, '--checkpoint', checkpoint], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^oss-auto-encrypt backfill: --fanout ${fn.replace('!', '\\!')}: .*${why.source}.*Nothing was written`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect([existsSync(report), existsSync(checkpoint), existsSync(`${checkpoint}.lock`)]).toEqual([false, false, false]);
    });

    it('FC throttling (429) shrinks the pool as OSS throttling does; every object still ends encrypted by the function', async () => {
      const keys = Array.from({ length: 120 }, (_, i) => `t/${i}`);
      const bucket = await bucketWith(keys);
      let calls = 0;
      const proxy = await startProxy(fc.endpoint, () => {
        calls += 1;
        if (calls >= 2 && calls <= 4) return { answer: { status: 429, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ErrorCode: 'ResourceThrottled', ErrorMessage: 'Reserve resource exhausted' }) } };
        return undefined;
      });
      try {
        const r = await cli([...base(bucket), '--fanout', 'auto-encrypt', '--account-id', ACCOUNT, '--fc-endpoint', proxy.endpoint, '--batch-size', '10', '--concurrency', '4', '--json'], env);
        expect([r.code, r.stderr]).toEqual([0, '']);
        const s = JSON.parse(r.stdout) as { dispatched: number; throttled: number; retries: number; lowestConcurrency: number };
        expect(s).toMatchObject({ dispatched: 120, throttled: 3, retries: 3 });
        expect(s.lowestConcurrency).toBeLessThan(4);
      } finally {
        await proxy.close();
      }
      await fc.idle();
      for (const k of [keys[0]!, keys[119]!]) expect((await sse(oss, bucket, k)).alg).toBe('AES256');
    });
  });

  describe('16. wording', () => {
    it('the first plain progress line gives a real rate, not 0.0/s', async () => {
      const bucket = await bucketWith(Array.from({ length: 300 }, (_, i) => `p/${i}`));
      oss.setLatency(5);
      try {
        const r = await cli([...base(bucket), '--concurrency', '2', '--progress-interval', '0.5'], env);
        expect(r.code).toBe(0);
        const first = r.stderr.split('\n').find((l) => l.startsWith('backfill: '));
        expect(first).toMatch(/ \d+(\.\d)?\/s/);
        // Objects were finished by then, so the rate cannot be zero (a machine too busy to finish any would show 0 honestly).
        if (Number(/encrypted (\d+)/.exec(first!)![1]) > 0) expect(first).not.toMatch(/ 0\.0\/s/);
      } finally {
        oss.setLatency(0);
      }
    });

    it('on a terminal, log lines are not glued onto the progress bar', async () => {
      const bucket = await bucketWith(Array.from({ length: 150 }, (_, i) => `y/${i}`));
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const command = [process.execPath, 'bin/oss-auto-encrypt.js', 'backfill', ...base(bucket), '--concurrency', '2'].map(q).join(' ');
      oss.setLatency(5);
      let out = '';
      try {
        // `script` gives the CLI a pseudo-terminal as stderr, as a user's shell does.
        out = await new Promise<string>((resolve) => {
          const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm', ...env, LOG_LEVEL: 'info' } });
          let s = '';
          child.stdout.on('data', (d) => (s += d));
          child.on('close', () => resolve(s));
        });
      } finally {
        oss.setLatency(0);
      }
      expect(out).toMatch(/\rseen \d+ {2}encrypted/); // the bar was drawn
      const logs = [...out.matchAll(/\{"level":"info"/g)];
      expect(logs.length).toBeGreaterThan(100);
      for (const m of logs) {
        const before = out.slice(Math.max(0, m.index! - 3), m.index!);
        expect(before.endsWith('\n') || before.endsWith('\x1b[K') || m.index === 0).toBe(true);
      }
    });

    it('a failed object outside FC does not say "FC will retry the event"', async () => {
      const bucket = await bucketWith(['f/1']);
      const report = join(dir, 'fail.jsonl');
      oss.faults.set([{ op: 'CopyObject', rate: 1, kind: 'http500' }]);
      try {
        const r = await cli([...base(bucket), '--report', report], { ...env, RETRY_MAX_ATTEMPTS: '2' });
        expect(r.code).toBe(1);
      } finally {
        oss.faults.clear();
      }
      const row = JSON.parse(readFileSync(report, 'utf8').trim()) as { outcome: string; error: string };
      expect(row.outcome).toBe('failed');
      expect(row.error).toMatch(/InternalError \(HTTP 500/);
      expect(row.error).not.toMatch(/FC will retry/);
    });

    it('an object whose copy completed just before a kill is reported encrypted (copied-before-interruption), not already-encrypted', async () => {
      const keys = Array.from({ length: 20 }, (_, i) => `d/${String(i).padStart(2, '0')}`);
      const bucket = await bucketWith(keys);
      const held = gate();
      const proxy = await startProxy(oss.endpoint, (req) => {
        if (req.method === 'PUT' && req.headers['x-oss-copy-source'] && req.url === '/d/07') {
          held.arrive();
          return { hold: held.wait, stage: 'response' }; // the copy is done in OSS, its answer never arrives
        }
        return undefined;
      });
      const cp = join(dir, 'redo-cp.json');
      const report = join(dir, 'redo.csv');
      try {
        const first = await cli([...base(bucket, proxy.endpoint), '--checkpoint', cp, '--report', report, '--concurrency', '2'], env, {
          onSpawn: (child) => {
            void held.reached.then(async () => {
              while ((await sse(oss, bucket, 'd/07')).alg !== 'AES256') await new Promise((r) => setTimeout(r, 5));
              child.kill('SIGKILL');
            });
          },
        });
        expect(first.signal).toBe('SIGKILL');
      } finally {
        held.open();
        await proxy.close();
      }
      const second = await cli([...base(bucket), '--checkpoint', cp, '--report', report, '--concurrency', '2'], env);
      expect([second.code, second.stderr]).toEqual([0, '']);
      const rows = new Map(readFileSync(report, 'utf8').trim().split('\r\n').slice(1).map((l) => [l.split(',')[0]!, l] as const));
      expect([...rows.keys()].sort()).toEqual(keys);
      expect(rows.get('d/07')).toMatch(/^d\/07,encrypted,copied-before-interruption,AES256,/);
      for (const l of rows.values()) expect(l).toMatch(/,encrypted,(unencrypted|copied-before-interruption),AES256,/);
    });
  });

  it('issue 10 item 12: one slow object does not make the checkpoint list every object finished behind it', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `s/${String(i).padStart(3, '0')}`);
    const bucket = await bucketWith(keys);
    const held = gate();
    const proxy = await startProxy(oss.endpoint, (req) => (req.method === 'PUT' && req.headers['x-oss-copy-source'] && req.url === '/s/000' ? { hold: held.wait, stage: 'request' } : undefined));
    const cp = join(dir, 'slow-cp.json');
    try {
      const run = cli([...base(bucket, proxy.endpoint), '--checkpoint', cp, '--concurrency', '4'], env);
      const state = await whenFile<Record<string, unknown> & { counts: { encrypted: number }; inFlight: string[] }>(cp, (s) => s.counts.encrypted === 59);
      expect(state.inFlight).toEqual(['s/000']);
      expect(state.finishedAhead).toBeUndefined();
      expect(readFileSync(cp, 'utf8').length).toBeLessThan(1000); // not 59 keys
      held.open();
      expect((await run).code).toBe(0);
    } finally {
      held.open();
      await proxy.close();
    }
  });
});
