/**
 * Large objects stream through the local OSS end to end: an upload and a download of 512 MiB, encrypted at rest,
 * must not raise the server's peak memory by anything near the object's size (issue: "a 2 GiB object must not need
 * 2 GiB of RAM"). The server runs as its own process (the `local-oss` CLI with --data-dir) so its peak resident
 * set (VmHWM in /proc) is measured alone, not mixed with the test's own buffers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import OSS from 'ali-oss';

const ROOT = join(__dirname, '..', '..');
const SIZE = 512 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/** Peak and current resident set of a process, in bytes (Linux /proc). */
function memoryOf(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

/** SIZE deterministic bytes, generated chunk by chunk (never held whole by the test either). */
function body(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= SIZE) return this.push(null);
      const chunk = Buffer.alloc(CHUNK, sent / CHUNK);
      sent += CHUNK;
      this.push(chunk);
    },
  });
}

function expectedMd5(): string {
  const h = createHash('md5');
  for (let sent = 0; sent < SIZE; sent += CHUNK) h.update(Buffer.alloc(CHUNK, sent / CHUNK));
  return h.digest('hex');
}

describe('large objects stream through the local OSS', () => {
  let child: ChildProcess;
  let dataDir: string;
  let info: { endpoint: string; region: string; accessKeyId: string; accessKeySecret: string };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'oss-large-'));
    child = spawn(process.execPath, [join(ROOT, 'bin', 'oss-auto-encrypt.js'), 'local-oss', '--port', '0', '--bucket', 'big-bucket', '--data-dir', dataDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    info = await new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
      });
      child.once('exit', (code) => reject(new Error(`local-oss exited early with ${code}`)));
    });
  });

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('uploads and downloads 512 MiB with SSE without holding it in memory', async () => {
    const client = new OSS({
      endpoint: info.endpoint, region: 'oss-' + info.region, bucket: 'big-bucket',
      accessKeyId: info.accessKeyId, accessKeySecret: info.accessKeySecret, timeout: 300_000,
    } as OSS.Options);
    const before = memoryOf(child.pid!);

    await client.putStream('big/video.bin', body(), { headers: { 'x-oss-server-side-encryption': 'AES256' } } as never);
    const head = (await client.head('big/video.bin')).res.headers as Record<string, string>;
    expect(Number(head['content-length'])).toBe(SIZE);
    expect(head['x-oss-server-side-encryption']).toBe('AES256');

    const md5 = createHash('md5');
    let received = 0;
    const { stream } = await client.getStream('big/video.bin');
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      md5.update(chunk);
      received += chunk.length;
    }
    expect(received).toBe(SIZE);
    expect(md5.digest('hex')).toBe(expectedMd5());

    // A server that buffered the object would peak at least SIZE (512 MiB) above where it started.
    const grown = memoryOf(child.pid!).peak - before.now;
    expect(grown).toBeLessThan(SIZE / 4);
  }, 300_000);
});
