/**
 * The report file as a target (hostile review F3, F4), through the real CLI in a child process: one run per
 * report (a lock beside it), a fresh run never empties a report that holds rows unless told to, and a report
 * that is a pipe or a device is refused with one line before any object is processed.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestOss } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { runCliProcess } from '../cli/run-cli';
import { cliBuckets } from './cli-buckets';
import { gate, startProxy } from './http-proxy';

const cli = (args: string[], env: Record<string, string>) => runCliProcess(['backfill', ...args], env);

const copiesOf = (oss: LocalOss, bucket: string) => oss.requestLog.entries().filter((e) => e.bucket === bucket && e.op === 'CopyObject' && e.status === 200).length;
const csvKeys = (file: string) => readFileSync(file, 'utf8').trim().split('\r\n').slice(1).map((l) => l.split(',')[0]).sort();

describe('backfill CLI: the report file', () => {
  let oss: LocalOss;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'bf-report-'));
  const { bucketWith, base } = cliBuckets(() => oss, 'rt');
  beforeAll(async () => {
    oss = await startTestOss({ buckets: [] });
    env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, RETRY_BASE_DELAY_MS: '1' };
  });
  afterAll(async () => oss.close());

  it('two runs with different checkpoints and the same --report: the second is refused, the first writes one row per object', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `k/${String(i).padStart(2, '0')}`);
    const bucket = await bucketWith(keys);
    const held = gate();
    const proxy = await startProxy(oss.endpoint, (req) => {
      if (req.method === 'PUT' && req.headers['x-oss-copy-source'] && req.url === '/k/05') {
        held.arrive();
        return { hold: held.wait, stage: 'request' };
      }
      return undefined;
    });
    const report = join(dir, 'shared.csv');
    try {
      const first = cli([...base(bucket, proxy.endpoint), '--checkpoint', join(dir, 'one.json'), '--report', report, '--concurrency', '2'], env);
      await held.reached;
      const second = await cli([...base(bucket), '--checkpoint', join(dir, 'two.json'), '--report', report], env);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^oss-auto-encrypt backfill: Report .*shared\.csv is in use by process \d+ on .*\(lock file .*shared\.csv\.lock\); wait for that run to end\. If no backfill is running with this report, delete .*shared\.csv\.lock\.\n$/);
      expect(existsSync(join(dir, 'two.json'))).toBe(false);
      held.open();
      expect((await first).code).toBe(0);
    } finally {
      held.open();
      await proxy.close();
    }
    expect(csvKeys(report)).toEqual(keys);
    expect(existsSync(`${report}.lock`)).toBe(false);
  });

  it('a fresh run onto a non-empty report is refused and the report kept; --overwrite-report replaces it', async () => {
    const bucket = await bucketWith(['a', 'b']);
    const report = join(dir, 'kept.csv');
    writeFileSync(report, 'earlier rows\r\n');
    const r = await cli([...base(bucket), '--report', report], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^oss-auto-encrypt backfill: Report .*kept\.csv already exists and holds 14 bytes; a run without a checkpoint to resume does not overwrite it: pass another --report path, resume the run that wrote it with its --checkpoint, or pass --overwrite-report to replace it\.\n$/);
    expect(readFileSync(report, 'utf8')).toBe('earlier rows\r\n');
    expect(copiesOf(oss, bucket)).toBe(0);
    const again = await cli([...base(bucket), '--report', report, '--overwrite-report'], env);
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(csvKeys(report)).toEqual(['a', 'b']);
  });

  it('CSV cells starting with whitespace and a formula character, LF or a full-width ＝ are neutralised too', async () => {
    const keys = [' =1+1', '\u3000@SUM(1)', '\uFF1D1+1', '\n=2', ' plain'];
    const bucket = await bucketWith(keys);
    const csv = join(dir, 'inj2.csv');
    expect((await cli([...base(bucket), '--report', csv, '--dry-run'], env)).code).toBe(0);
    const text = readFileSync(csv, 'utf8');
    for (const cell of ["' =1+1,", "'\u3000@SUM(1),", "'\uFF1D1+1,", '"\'\n=2",', ' plain,']) expect(text).toContain(`\r\n${cell}`);
  });

  it.each([['csv'], ['jsonl']])('--report /dev/full (%s), fresh or on a resume: one line naming the file, nothing processed', async (format) => {
    const bucket = await bucketWith(['a', 'b']);
    const cp = join(dir, `full-${format}.json`);
    // A checkpoint that names /dev/full as its report: the resume case of the review (ftruncate EINVAL before).
    expect((await cli([...base(bucket), '--checkpoint', cp, '--dry-run'], env)).code).toBe(0);
    const saved = JSON.parse(readFileSync(cp, 'utf8')) as Record<string, unknown>;
    writeFileSync(cp, JSON.stringify({ ...saved, complete: false, report: { file: '/dev/full', format }, reportBytes: 0 }));
    for (const extra of [[], ['--checkpoint', cp, '--dry-run']]) {
      const r = await cli([...base(bucket), '--report', '/dev/full', '--report-format', format, ...extra], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('oss-auto-encrypt backfill: Report /dev/full is not a regular file (a pipe, a device or a directory): the report is written at positions and cut back on resume, so pass the path of a file.\n');
    }
    expect(copiesOf(oss, bucket)).toBe(0);
  });
});
