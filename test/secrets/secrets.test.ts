/**
 * Secrets never reach any output. A full run is captured: the pino destination, every process.stdout/stderr
 * write and console call of in-process handler runs (encrypt, skip, KMS failure, retries under injected 503s,
 * wrong secret, credentials from env, malformed event, thrown errors inspected as FC would print them), and the
 * raw stdout/stderr of child processes: the FC entry module (default pino destination, fd 1), the replay CLI and
 * the backfill CLI (with their report and checkpoint files). The test fails if the access key secret, the STS
 * security token or the local OSS root secret appear anywhere, whole or in part.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { format, inspect } from 'node:util';
import OSS from 'ali-oss';
import type { LocalOss, StsCredentials } from '../../src/local-oss';
import { createHandler, type FcContext } from '../../src/function/create-handler';
import { startTestOss } from '../helpers/local-oss';
import { captureLogs } from '../function/log-lines';

const ROOT = resolve(__dirname, '../..');
const BUCKET = 'test-bucket';
const ACCOUNT = '1234567890123456';
const DISABLED = 'cmk-disabled-0001';
const RULES = JSON.stringify([{ prefix: 'fin/', algorithm: 'KMS', kmsKeyId: DISABLED }]);

let oss: LocalOss;
let client: OSS;
let sts: StsCredentials;
let tmp: string;
/** Everything any part of the run printed or wrote, one entry per source, for the final scan. */
const captured: Array<{ source: string; text: string }> = [];
/** Secrets that only exist in one scenario (the wrong secret sent in run 2). */
const secretsWrong: string[] = [];

function secretsOf(...values: string[]): string[] {
  // Whole value, URL-encoded form, and 16-character head and tail, so a truncated or encoded leak is caught too.
  return values.flatMap((v) => [v, encodeURIComponent(v), v.slice(0, 16), v.slice(-16)]);
}

function event(keys: string[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      events: keys.map((key) => ({
        eventName: 'ObjectCreated:PutObject',
        eventSource: 'acs:oss',
        region: oss.region,
        oss: { bucket: { name: BUCKET, arn: `acs:oss:${oss.region}:${ACCOUNT}:${BUCKET}` }, object: { key } },
      })),
    }),
  );
}

async function seed(prefix: string): Promise<string[]> {
  const keys = [`${prefix}/plain.txt`, `${prefix}/already.txt`, `fin/${prefix}-ledger.csv`];
  await client.put(keys[0]!, Buffer.from('plain'));
  await client.put(keys[1]!, Buffer.from('enc'), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as OSS.PutObjectOptions);
  await client.put(keys[2]!, Buffer.from('a,b'));
  return [...keys, `${prefix}/missing.txt`];
}

/** Captures process.stdout/stderr writes and console calls while `fn` runs (pino is given its own captured stream). */
async function captureProcess(source: string, fn: () => Promise<void>): Promise<void> {
  let text = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((text += c.toString()), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((text += c.toString()), true));
  const consoles = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void (text += format(...args) + '\n')),
  );
  try {
    await fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const c of consoles) c.mockRestore();
    captured.push({ source, text });
  }
}

/** Records a thrown error the way FC and people would see it: message, stack, JSON and a deep inspect. */
function recordError(source: string, err: unknown): void {
  const e = err as Error;
  captured.push({ source: `${source} (thrown)`, text: [String(e), e?.stack ?? '', JSON.stringify(e), inspect(e, { depth: Infinity, showHidden: true })].join('\n') });
}

function runChild(source: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmp, NODE_ENV: 'test', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      captured.push({ source: `${source} stdout`, text: stdout }, { source: `${source} stderr`, text: stderr });
      done({ code, stdout, stderr });
    });
  });
}

const credEnv = (c: { accessKeyId: string; accessKeySecret: string; securityToken?: string }) => ({
  ALIBABA_CLOUD_ACCESS_KEY_ID: c.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: c.accessKeySecret,
  ...(c.securityToken ? { ALIBABA_CLOUD_SECURITY_TOKEN: c.securityToken } : {}),
});

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET], accountId: ACCOUNT, kms: { enabled: true, keys: [{ id: DISABLED, state: 'Disabled' }] } });
  client = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, bucket: BUCKET, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, timeout: 20_000 } as OSS.Options);
  sts = oss.issueStsCredentials();
  tmp = mkdtempSync(join(tmpdir(), 'secrets-'));
});

afterAll(async () => {
  await oss.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('no secret in any output of a full run', () => {
  const env = () => ({ OSS_ENDPOINT: oss.endpoint, RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5', OSS_TIMEOUT_MS: '5000', SSE_RULES: RULES });
  const context = (credentials?: FcContext['credentials']): FcContext => ({
    requestId: `secrets-${captured.length}`,
    region: oss.region,
    accountId: ACCOUNT,
    ...(credentials ? { credentials } : {}),
  });

  it('in-process handler: encrypt, skip, gone, KMS failure, retries under 503s, at trace level', async () => {
    const logs = captureLogs('trace');
    const fc = createHandler({ env: { ...env(), LOG_LEVEL: 'trace' }, logger: logs.logger });
    const keys = await seed('run1');
    oss.faults.set([{ op: 'HeadObject', rate: 0.5, kind: 'http503' }], 7);
    let thrown: unknown;
    await captureProcess('handler run 1', async () => {
      await fc.initialize(context(sts));
      thrown = await fc.handler(event(keys), context(sts)).catch((e: unknown) => e);
    });
    oss.faults.clear();
    recordError('handler run 1', thrown);
    captured.push({ source: 'handler run 1 pino', text: logs.raw() });
    // The run did what it should, so the scan covers real encrypt/skip/failure/retry lines.
    const lines = logs.lines();
    expect(lines.some((l) => l.outcome === 'encrypted')).toBe(true);
    expect(lines.some((l) => l.outcome === 'skipped')).toBe(true);
    expect(lines.some((l) => l.outcome === 'failed' && (l.error as { code: string }).code === 'OSS_KeyDisabled')).toBe(true);
    expect(lines.some((l) => String(l.msg).startsWith('retrying'))).toBe(true);
  });

  it('in-process handler: credentials from ALIBABA_CLOUD_* env, a wrong secret, a malformed event', async () => {
    const logs = captureLogs('trace');
    const keys = await seed('run2');
    const fromEnv = createHandler({ env: { ...env(), LOG_LEVEL: 'trace', ...credEnv(sts) }, logger: logs.logger });
    const wrong = { ...sts, accessKeySecret: `${sts.accessKeySecret.slice(0, -4)}XXXX` };
    let thrown: unknown[] = [];
    await captureProcess('handler run 2', async () => {
      thrown = [
        await fromEnv.handler(event(keys), context()).catch((e: unknown) => e),
        await fromEnv.handler(event(keys.slice(0, 1)), context(wrong)).catch((e: unknown) => e),
        await fromEnv.handler(Buffer.from('{"events":[{"oss":'), context(sts)).catch((e: unknown) => e),
      ];
    });
    thrown.forEach((t, i) => recordError(`handler run 2.${i}`, t));
    captured.push({ source: 'handler run 2 pino', text: logs.raw() });
    expect(logs.lines().some((l) => (l.error as { code?: string } | undefined)?.code === 'OSS_SignatureDoesNotMatch')).toBe(true);
    // The wrong secret was sent as a secret: it must not leak either.
    secretsWrong.push(...secretsOf(wrong.accessKeySecret));
  });

  it('FC entry module in a child process (default pino destination on fd 1), credentials in env', async () => {
    const keys = await seed('run3');
    const script = `const { handler, initialize } = require('./src/function/index.ts');
      const ctx = { requestId: 'child-1', region: ${JSON.stringify(oss.region)}, accountId: ${JSON.stringify(ACCOUNT)} };
      (async () => { await initialize(ctx); try { await handler(Buffer.from(process.argv[1]), ctx); } catch (e) { console.error(e); process.exitCode = 1; } })();`;
    const r = await runChild('fc entry', ['-e', script, event(keys).toString()], { ...env(), LOG_LEVEL: 'trace', ...credEnv(sts) });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/"outcome":"encrypted"/);
    expect(r.stdout).toMatch(/OSS_KeyDisabled/);
  });

  it('replay CLI in a child process against the local OSS with STS credentials (remote mode, verbose)', async () => {
    const keys = await seed('run4');
    const file = join(tmp, 'event.json');
    writeFileSync(file, event(keys));
    const r = await runChild('replay', ['src/cli/main.ts', 'replay', '--verbose', '--endpoint', oss.endpoint, file], { ...env(), LOG_LEVEL: 'trace', ...credEnv(sts) });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/encrypted/);
    const json = await runChild('replay --json', ['src/cli/main.ts', 'replay', '--json', '--endpoint', oss.endpoint, file], { ...env(), LOG_LEVEL: 'debug', ...credEnv(sts) });
    expect(json.stdout).toMatch(/"mode": "remote"/);
  });

  it('replay CLI in embedded mode (--local) with cloud credentials set in its environment', async () => {
    const r = await runChild('replay --local', ['src/cli/main.ts', 'replay', '--local', '--verbose', 'events/put-object.json'], { LOG_LEVEL: 'trace', ...credEnv(sts) });
    expect(r.code).toBe(0);
  });

  it('backfill CLI in a child process, with a failing prefix, report and checkpoint files', async () => {
    await seed('run5');
    const report = join(tmp, 'report.jsonl');
    const checkpoint = join(tmp, 'checkpoint.json');
    const r = await runChild(
      'backfill',
      ['src/cli/main.ts', 'backfill', '--bucket', BUCKET, '--region', oss.region, '--endpoint', oss.endpoint, '--report', report, '--checkpoint', checkpoint, '--json'],
      { ...env(), LOG_LEVEL: 'trace', ...credEnv(sts) },
    );
    expect(r.code).toBe(1);
    const reportText = readFileSync(report, 'utf8');
    expect(reportText).toMatch(/KeyDisabled/);
    captured.push({ source: 'backfill report', text: reportText }, { source: 'backfill checkpoint', text: readFileSync(checkpoint, 'utf8') });
  });

  it('none of it contains the access key secret, the STS token or the root secret', () => {
    expect(captured.length).toBeGreaterThan(10);
    expect(captured.reduce((n, c) => n + c.text.length, 0)).toBeGreaterThan(10_000);
    const secrets = [...secretsOf(sts.accessKeySecret, sts.securityToken, oss.accessKeySecret), ...secretsWrong];
    const leaks = captured.flatMap((c) => secrets.filter((s) => c.text.includes(s)).map((s) => `${c.source}: …${s.slice(0, 6)}…`));
    expect(leaks).toEqual([]);
    // The access key ids are not secret and do appear (request logs name the caller); this guards the scan itself.
    expect(captured.some((c) => c.text.includes(sts.accessKeyId) || c.text.includes('OSS_SignatureDoesNotMatch'))).toBe(true);
  });
});
