import { parseBackfillArgs } from '../../src/cli/backfill';
import { BackfillOptionsError } from '../../src/backfill/errors';

const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'AK', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'SECRET' };

describe('backfill flags', () => {
  it('parses every flag', () => {
    const a = parseBackfillArgs(
      ['--bucket', 'b1', '--prefix', 'p/', '--region', 'oss-cn-shanghai', '--concurrency', '8', '--dry-run', '--checkpoint', 'cp.json', '--report', 'r.csv', '--manifest', 'm.json', '--json'],
      { ...env, ALIBABA_CLOUD_SECURITY_TOKEN: 'TOKEN' },
    );
    expect(a).toMatchObject({ bucket: 'b1', prefix: 'p/', region: 'cn-shanghai', endpoint: 'https://oss-cn-shanghai.aliyuncs.com', concurrency: 8, dryRun: true, checkpoint: 'cp.json', report: 'r.csv', manifest: 'm.json', json: true });
    expect(a.credentials).toEqual({ accessKeyId: 'AK', accessKeySecret: 'SECRET', securityToken: 'TOKEN' });
    expect(a.fanout).toBeUndefined();
  });

  it('takes the endpoint from --endpoint, then OSS_ENDPOINT, and fan-out settings', () => {
    expect(parseBackfillArgs(['--bucket', 'b1', '--region', 'cn-hangzhou'], { ...env, OSS_ENDPOINT: 'http://127.0.0.1:9' }).endpoint).toBe('http://127.0.0.1:9');
    const a = parseBackfillArgs(['--bucket', 'b1', '--region', 'cn-hangzhou', '--endpoint', 'http://x', '--fanout', 'fn', '--batch-size', '5', '--account-id', '123'], env);
    expect(a.endpoint).toBe('http://x');
    expect(a.fanout).toEqual({ functionName: 'fn', batchSize: 5, accountId: '123' });
  });

  it('lists every problem at once', () => {
    let err: unknown;
    try {
      parseBackfillArgs(['--concurrency', 'many', '--batch-size', '3', '--report-format', 'xml'], {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackfillOptionsError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/--bucket is required/);
    expect(msg).toMatch(/--region is required/);
    expect(msg).toMatch(/--concurrency must be a whole number, got "many"/);
    expect(msg).toMatch(/--report-format must be csv or jsonl/);
    expect(msg).toMatch(/credentials missing: set ALIBABA_CLOUD_ACCESS_KEY_ID/);
    expect(msg).toMatch(/--batch-size only applies with --fanout/);
  });

  it('rejects unknown flags with a pointer to --help', () => {
    expect(() => parseBackfillArgs(['--bucket', 'b', '--buckett', 'x'], env)).toThrow(/Unknown option '--buckett'.*see --help/);
  });

  it('fan-out needs an account id', () => {
    expect(() => parseBackfillArgs(['--bucket', 'b1', '--region', 'cn-hangzhou', '--fanout', 'fn'], env)).toThrow(/--fanout needs --account-id/);
  });
});
