/**
 * Hostile review F6, through the real CLI in a child process: a manifest path is one file however it is spelt
 * (as the report path is), and an endpoint with one slash after its scheme gets a hint that fixes it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startTestOss, ossClient } from '../helpers/local-oss';
import type { LocalOss } from '../../src/local-oss';
import { spawnCli } from '../cli/run-cli';
import { writeInventory } from './inventory-fixture';

describe('backfill CLI: paths and endpoint hints', () => {
  let oss: LocalOss;
  let env: Record<string, string>;
  beforeAll(async () => {
    oss = await startTestOss({ buckets: ['paths-bucket'] });
    env = { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret, RETRY_BASE_DELAY_MS: '1', LOG_LEVEL: 'silent' };
    const c = ossClient(oss, 'paths-bucket');
    await Promise.all(['a', 'b', 'c'].map((k) => c.put(k, Buffer.from(k))));
  });
  afterAll(async () => oss.close());

  it('a resume with ./inv/manifest.json after inv/manifest.json (same file) is accepted', async () => {
    const inv = writeInventory('paths-bucket', [[{ key: 'a' }, { key: 'b' }, { key: 'c' }]]);
    const rel = relative(join(__dirname, '..', '..'), inv.manifest); // the CLI runs in the repository's root
    const checkpoint = join(mkdtempSync(join(tmpdir(), 'bf-paths-')), 'cp.json');
    const base = ['backfill', '--bucket', 'paths-bucket', '--region', oss.region, '--endpoint', oss.endpoint, '--checkpoint', checkpoint, '--json'];
    const first = spawnCli([...base, '--manifest', rel], env);
    expect((await first.exited).code).toBe(0);
    const second = spawnCli([...base, '--manifest', `./${rel}`], env);
    const { code } = await second.exited;
    expect([code, second.stderr()]).toEqual([0, '']);
    expect(JSON.parse(second.stdout())).toMatchObject({ resumed: true, complete: true, encrypted: 3 });
  });

  it.each([
    ['http:/127.0.0.1:9000', 'http://127.0.0.1:9000'],
    ['https:oss-cn-hangzhou.aliyuncs.com', 'https://oss-cn-hangzhou.aliyuncs.com'],
  ])('--endpoint %s: the hint adds the missing slash (exit 2)', async (endpoint, fixed) => {
    const run = spawnCli(['backfill', '--bucket', 'paths-bucket', '--region', oss.region, '--endpoint', endpoint], env);
    const { code } = await run.exited;
    expect(code).toBe(2);
    expect(run.stderr()).toContain(`--endpoint="${endpoint}" is not valid: "${endpoint.split(':')[0]}:" must be followed by two slashes; write ${fixed}.`);
    expect(run.stderr()).not.toMatch(/https:\/\/https?:/);
  });
});
