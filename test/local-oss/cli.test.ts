/**
 * The `local-oss` CLI: flag parsing (pure) and one real run that prints the JSON line, serves ali-oss, and exits
 * cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import OSS from 'ali-oss';
import { parseLocalOssArgs } from '../../src/cli/local-oss';

describe('parseLocalOssArgs', () => {
  it('parses every documented flag', () => {
    expect(parseLocalOssArgs(['--port', '9001', '--bucket', 'bucket-a', '--bucket=bucket-b', '--data-dir', '/tmp/d', '--kms-key', 'k1', '--kms-key', 'k2:Disabled',
      '--latency-ms', '5', '--fault-rate', '0.1', '--seed', '7', '--restore-delay-ms', '2500', '--deny', 'oss:PutObject', '--deny=oss:GetObjectAcl@LTAIx'])).toMatchObject({
      port: 9001, host: '127.0.0.1', buckets: ['bucket-a', 'bucket-b'], dataDir: '/tmp/d', latencyMs: 5, faultRate: 0.1, seed: 7,
      kmsKeys: [{ id: 'k1', state: 'Enabled' }, { id: 'k2', state: 'Disabled' }], restoreDelayMs: 2500,
      deny: [{ action: 'oss:PutObject' }, { action: 'oss:GetObjectAcl', accessKeyId: 'LTAIx' }],
    });
  });

  it('takes --region in the ali-oss spelling (oss-cn-shanghai) as the region id', () => {
    expect(parseLocalOssArgs(['--region', 'oss-cn-shanghai']).region).toBe('cn-shanghai');
    expect(parseLocalOssArgs(['--region', 'cn-shanghai']).region).toBe('cn-shanghai');
  });

  it.each([
    [['--port', 'x'], /--port needs a number/],
    [['--fault-rate', '2'], /--fault-rate needs a number from 0 to 1/],
    [['--kms-key', 'k:Broken'], /state must be Enabled, Disabled, PendingDeletion/],
    [['--bucket'], /--bucket needs a value/],
    [['--frobnicate'], /unknown option "--frobnicate"/],
    [['--access-key-id', 'a'], /go together/],
    [['--restore-delay-ms', '-1'], /--restore-delay-ms needs a number/],
    [['--deny', 'GetObject'], /--deny needs ACTION\[@ACCESS_KEY_ID\]/],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseLocalOssArgs(argv as string[])).toThrow(message);
  });
});

describe('local-oss CLI', () => {
  it('prints one JSON line, serves requests and exits 0 on SIGTERM', async () => {
    const root = join(__dirname, '..', '..');
    const child = spawn(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'src', 'cli', 'main.ts'), 'local-oss',
      '--port', '0', '--bucket', 'cli-bucket', '--kms-key', 'cli-key:Disabled', '--restore-delay-ms', '600000', '--deny', 'oss:GetObjectAcl'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`local-oss exited early with ${code}`)));
      });
      const info = JSON.parse(line) as { endpoint: string; region: string; accessKeyId: string; accessKeySecret: string; buckets: string[]; kmsKeyIds: string[] };
      expect(Object.keys(info)).toEqual(['endpoint', 'region', 'accessKeyId', 'accessKeySecret', 'buckets', 'kmsKeyIds']);
      expect(info).toMatchObject({ region: 'cn-hangzhou', buckets: ['cli-bucket'], kmsKeyIds: ['cli-key'] });
      expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new OSS({ endpoint: info.endpoint, region: 'oss-' + info.region, accessKeyId: info.accessKeyId, accessKeySecret: info.accessKeySecret, bucket: 'cli-bucket' });
      await client.put('hello.txt', Buffer.from('hi'));
      expect((await client.get('hello.txt')).content.toString()).toBe('hi');
      // --deny: the chosen action is refused as an explicit RAM Deny would.
      await expect(client.getACL('hello.txt')).rejects.toMatchObject({ status: 403, code: 'AccessDenied' });
      // --restore-delay-ms: a client sees the ongoing-request="true" phase (issue 11 item 12).
      await client.put('cold.bin', Buffer.from('ice'), { headers: { 'x-oss-storage-class': 'Archive' } } as OSS.PutObjectOptions);
      expect(((await client.restore('cold.bin')) as unknown as { res: { status: number } }).res.status).toBe(202);
      expect((await client.head('cold.bin')).res.headers).toMatchObject({ 'x-oss-restore': 'ongoing-request="true"' });
      await expect(client.get('cold.bin')).rejects.toMatchObject({ status: 403, code: 'InvalidObjectState' });
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
