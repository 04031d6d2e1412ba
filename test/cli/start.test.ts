/**
 * `npm start` as a user runs it: a child process, its JSON first line, an upload through ali-oss,
 * the object turning encrypted, then SIGTERM and a clean exit.
 */
import OSS from 'ali-oss';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { command } from '../../src/cli/start';
import { runCli } from './run-cli';

const ROOT = join(__dirname, '..', '..');

interface Ready { endpoint: string; region: string; bucket: string; accountId: string; accessKeyId: string; accessKeySecret: string; events: string[] }

function startCli(args: string[]): { child: ChildProcess; ready: Promise<Ready>; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'src', 'cli', 'main.ts'), 'start', ...args], {
    cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', SSE_ALGORITHM: 'AES256' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<Ready>((resolve, reject) => {
    lines.once('line', (l) => { try { resolve(JSON.parse(l) as Ready); } catch (e) { reject(new Error(`first line is not JSON: ${l}`, { cause: e })); } });
    child.once('exit', (code) => reject(new Error(`start exited with ${code} before it was ready`)));
  });
  lines.on('line', (l) => { out += l + '\n'; });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, output: () => out, exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, tries = 100, everyMs = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('oss-auto-encrypt start (spawned)', () => {
  test('upload → encrypted; SIGTERM → clean exit 0', async () => {
    const run = startCli(['--bucket', 'demo-bucket']);
    try {
      const ready = await run.ready;
      expect(ready).toMatchObject({ bucket: 'demo-bucket', region: 'cn-hangzhou', events: ['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:PostObject', 'oss:ObjectCreated:CompleteMultipartUpload'] });
      expect(ready.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new OSS({ endpoint: ready.endpoint, region: `oss-${ready.region}`, accessKeyId: ready.accessKeyId, accessKeySecret: ready.accessKeySecret, bucket: ready.bucket });
      await client.put('photos/猫 cat+1.jpg', Buffer.from('jpeg bytes'), { headers: { 'Content-Type': 'image/jpeg', 'x-oss-meta-camera': 'x100' } });
      const headers = await until('the object to be encrypted', async () => {
        const h = (await client.head('photos/猫 cat+1.jpg')).res.headers as Record<string, string>;
        return h['x-oss-server-side-encryption'] ? h : undefined;
      });
      expect(headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256', 'content-type': 'image/jpeg', 'x-oss-meta-camera': 'x100' });
      await until('the encryption log line', async () => (/encrypted +oss:\/\/demo-bucket\/photos\/猫 cat\+1\.jpg {2}unencrypted \(AES256, copy/.test(run.output()) ? true : undefined));
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('stopping');
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});

describe('oss-auto-encrypt start: bad input', () => {
  test('a port in use → one line, exit 2', async () => {
    const { createServer } = await import('node:net');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await runCli(command, ['--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^oss-auto-encrypt start: --port ${port}: cannot listen \\(EADDRINUSE\\); pick another port.*\\[USAGE\\]\\n$`));
    } finally { busy.close(); }
  });

  test.each([
    [['--bucket', 'B!'], /--bucket: "B!" is not a valid OSS bucket name/],
    [['--port', 'abc'], /--port must be an integer from 0 to 65535, got "abc"/],
    [['--wat'], /Unknown option '--wat'/],
    [['extra'], /start takes no arguments, got "extra"/],
    [['--events', 'oss:ObjectCreated:Nope!'], /--events: "oss:ObjectCreated:Nope!" is not an OSS trigger event; use oss:ObjectCreated:\*, oss:ObjectCreated:PutObject/],
  ])('%j → one line, exit 2', async (argv, message) => {
    const r = await runCli(command, argv);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.code).toBe(2);
  });
});
