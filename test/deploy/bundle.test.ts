/**
 * The deployable bundle (scripts/bundle.mjs, the second half of `npm run build`), loaded in a fresh
 * Node process as FC would load it, runs one OSS event against the local OSS through the real
 * ali-oss client inside the bundle, and the object ends up encrypted with nothing else changed.
 */
import { execFile, spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { ossClient, startTestOss } from '../helpers/local-oss';

const ROOT = join(__dirname, '..', '..');
const BUCKET = 'bundle-bucket';
let dir: string;
let bundle: string;
let buildOutput: string;

/** Runs the bundler into a temp dir (not dist/, which a concurrent `npm run build` may own). */
function runBundler(outdir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), '--outdir', outdir], { cwd: ROOT }, (err, stdout, stderr) =>
      err ? reject(new Error(`bundle failed: ${stderr || err.message}`)) : resolve(stdout),
    );
  });
}

interface ChildResult {
  ok: boolean;
  summary?: { total: number; encrypted: number; skipped: number; failed: number; results: Array<Record<string, unknown>> };
  name?: string;
  code?: string;
  message?: string;
}

/**
 * Loads the bundle in a new `node` process (nothing from this jest process: no ts, no node_modules
 * resolution from the test) and runs initialize + handler on `event` with `context`.
 */
function invokeBundle(env: Record<string, string>, event: unknown, context: unknown): Promise<{ result: ChildResult; stdout: string; stderr: string }> {
  const script = `
    const write = (r) => process.stdout.write('\\n@@RESULT ' + JSON.stringify(r) + '\\n');
    let input = '';
    process.stdin.on('data', (d) => (input += d)).on('end', async () => {
      const { event, context } = JSON.parse(input);
      try {
        const fn = require(${JSON.stringify(bundle)});
        await fn.initialize(context);
        const summary = await fn.handler(Buffer.from(JSON.stringify(event)), context);
        write({ ok: true, summary });
      } catch (e) {
        write({ ok: false, name: e.name, code: e.code, message: e.message });
      }
    });`;
  return new Promise((resolve, reject) => {
    // cwd outside the repo, so nothing can be resolved from the project's node_modules.
    const child = spawn(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', () => {
      const line = stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (!line) return reject(new Error(`no result from the bundle; stderr: ${stderr}`));
      resolve({ result: JSON.parse(line.slice('@@RESULT '.length)) as ChildResult, stdout, stderr });
    });
    child.stdin.end(JSON.stringify({ event, context }));
  });
}

function ossEvent(bucket: string, key: string, eTag: string, size: number): unknown {
  return {
    events: [
      {
        eventName: 'ObjectCreated:PutObject',
        eventSource: 'acs:oss',
        eventTime: new Date().toISOString(),
        eventVersion: '1.0',
        oss: {
          bucket: { arn: `acs:oss:cn-hangzhou:1234567890123456:${bucket}`, name: bucket, ownerIdentity: '1234567890123456' },
          object: { deltaSize: size, eTag, key, size },
          ossSchemaVersion: '1.0',
          ruleId: 'bundle-test',
        },
        region: 'cn-hangzhou',
        responseElements: { requestId: '0000' },
        userIdentity: { principalId: '1234567890123456' },
      },
    ],
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bundle-test-'));
  buildOutput = await runBundler(join(dir, 'fc'));
  bundle = join(dir, 'fc', 'index.js');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundle', () => {
  test('is the entry, one bundle file, its code cache and its licence notice; the build reports the sizes', () => {
    expect(readdirSync(join(dir, 'fc')).sort()).toEqual(['bundle.cache', 'bundle.js', 'bundle.js.LEGAL.txt', 'index.js']);
    expect(buildOutput).toMatch(/^bundle: .*bundle\.js \d+\.\d KiB \(gzip \d+\.\d KiB\), \d+ modules from \d+ packages; .*4 files \d+\.\d KiB \(gzip \d+\.\d KiB\) with the V8 code cache\n$/);
  });

  test('V8 accepts the code cache in a fresh process of this Node, and the entry exports exactly handler and initialize', async () => {
    const script = `
      const vm = require('node:vm');
      let made;
      const Base = vm.Script;
      vm.Script = class extends Base { constructor(src, opts) { super(src, opts); made = this; } };
      const fn = require(${JSON.stringify(join(dir, 'fc', 'index.js'))});
      process.stdout.write(JSON.stringify({ rejected: made.cachedDataRejected, exports: Object.keys(fn), types: [typeof fn.handler, typeof fn.initialize] }));`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { cwd: dir, env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
    );
    expect(JSON.parse(out)).toEqual({ rejected: false, exports: ['handler', 'initialize'], types: ['function', 'function'] });
  });

  test.each([
    ['without the cache file', null],
    ['with a cache V8 rejects (another build)', Buffer.from('not a V8 code cache, e.g. from another Node version')],
  ])('%s the entry still loads (V8 compiles the bundle as usual)', async (name, cache) => {
    const copy = join(dir, `fc-${name.replace(/\W+/g, '-')}`);
    mkdirSync(copy);
    for (const f of ['index.js', 'bundle.js']) copyFileSync(join(dir, 'fc', f), join(copy, f));
    if (cache) writeFileSync(join(copy, 'bundle.cache'), cache);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', `process.stdout.write(Object.keys(require(${JSON.stringify(join(copy, 'index.js'))})).join(','))`], { cwd: dir, env: { PATH: process.env.PATH ?? '' } }, (err, stdout, stderr) =>
        err ? reject(new Error(stderr)) : resolve(stdout),
      ),
    );
    expect(out).toBe('handler,initialize');
  });

  test('holds the handler and its runtime dependencies, and none of the local OSS, CLIs, deploy tools or fc2', () => {
    const meta = JSON.parse(readFileSync(join(dir, 'fc.meta', 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    const inputs = Object.keys(meta.inputs).map((p) => relative(ROOT, join(ROOT, p)));
    expect(inputs).toEqual(expect.arrayContaining(['src/function/index.ts', 'src/function/create-handler.ts', 'src/config.ts']));
    expect(inputs.some((p) => p.includes('node_modules/ali-oss/'))).toBe(true);
    expect(inputs.some((p) => p.includes('node_modules/pino/'))).toBe(true);
    const forbidden = inputs.filter((p) => /^src\/(local-oss|local-fc|cli|deploy|backfill|remote)\/|node_modules\/(@alicloud\/fc2|@serverless-devs|jest|typescript)\//.test(p));
    expect(forbidden).toEqual([]);
  });

  test('requires nothing at run time but Node built-ins and the two optional lazy modules', () => {
    // esbuild's metafile marks every import it left to run time as external.
    const meta = JSON.parse(readFileSync(join(dir, 'fc.meta', 'meta.json'), 'utf8')) as {
      inputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>;
    };
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const external = new Set(
      Object.values(meta.inputs).flatMap((i) => i.imports.filter((x) => x.external && x.path !== '<runtime>').map((x) => x.path)),
    );
    expect(external.size).toBeGreaterThan(2);
    expect([...external].filter((p) => !builtins.has(p)).sort()).toEqual(['iconv-lite', 'proxy-agent']);
  });
});

describe('the bundle in a fresh Node process', () => {
  let oss: LocalOss;
  let client: OSS;
  beforeAll(async () => {
    oss = await startTestOss({ buckets: [BUCKET] });
    client = ossClient(oss, BUCKET);
  });
  afterAll(() => oss.close());

  const context = (requestId: string) => ({ requestId, region: oss.region, accountId: oss.accountId, credentials: oss.issueStsCredentials(), function: { name: 'oss-auto-encrypt' } });

  test('encrypts a new object in place: content, type and metadata unchanged; logs are JSON lines without secrets', async () => {
    const key = 'reports/2026/q3 summary.csv';
    const body = Buffer.from('region,revenue\ncn-hangzhou,42\n');
    await client.put(key, body, { headers: { 'Content-Type': 'text/csv', 'Cache-Control': 'no-cache' }, meta: { owner: 'finance' } as never });
    const before = await client.head(key);
    expect((before.res.headers as Record<string, string>)['x-oss-server-side-encryption']).toBeUndefined();
    const eTag = String((before.res.headers as Record<string, string>).etag).replace(/"/g, '');

    const ctx = context('1-bundle-test-0001');
    const { result, stdout } = await invokeBundle({ OSS_ENDPOINT: oss.endpoint, LOG_LEVEL: 'info', ALLOWED_BUCKETS: BUCKET }, ossEvent(BUCKET, key, eTag, body.length), ctx);

    expect(result).toMatchObject({ ok: true, summary: { total: 1, encrypted: 1, skipped: 0, failed: 0 } });
    expect(result.summary!.results[0]).toMatchObject({ bucket: BUCKET, key, outcome: 'encrypted', algorithm: 'AES256' });

    const after = await client.head(key);
    const h = after.res.headers as Record<string, string>;
    expect(h['x-oss-server-side-encryption']).toBe('AES256');
    expect(h['content-type']).toBe('text/csv');
    expect(h['cache-control']).toBe('no-cache');
    expect(after.meta).toMatchObject({ owner: 'finance' });
    expect(Buffer.compare((await client.get(key)).content as Buffer, body)).toBe(0);

    const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ requestId: ctx.requestId, bucket: BUCKET, key, outcome: 'encrypted' }));
    expect(stdout).not.toContain(ctx.credentials.accessKeySecret);
    expect(stdout).not.toContain(ctx.credentials.securityToken);
  });

  test('an already-encrypted object is skipped (the loop guard works in the bundle too)', async () => {
    const key = 'already.bin';
    await client.put(key, Buffer.from('x'.repeat(64)), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
    const eTag = String(((await client.head(key)).res.headers as Record<string, string>).etag).replace(/"/g, '');
    const { result } = await invokeBundle({ OSS_ENDPOINT: oss.endpoint }, ossEvent(BUCKET, key, eTag, 64), context('1-bundle-test-0002'));
    expect(result).toMatchObject({ ok: true, summary: { total: 1, encrypted: 0, skipped: 1, failed: 0 } });
  });

  test('a bad policy variable fails at load with the function’s own error class and code (names survive minification)', async () => {
    const { result } = await invokeBundle({ OSS_ENDPOINT: oss.endpoint, SSE_ALGORITHM: 'RSA' }, ossEvent(BUCKET, 'k', 'e', 1), context('1-bundle-test-0003'));
    expect(result).toMatchObject({ ok: false, name: 'ConfigError', code: 'CONFIG_INVALID' });
    expect(result.message).toMatch(/SSE_ALGORITHM="RSA" is not valid; accepted values: AES256 \| KMS \| SM4/);
  });
});
