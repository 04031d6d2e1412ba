/**
 * Issue 15 item 11: an endpoint without a scheme is refused before anything is sent, with the line to type instead
 * (ali-oss would use plain HTTP for it, sending signed requests and STS tokens in cleartext). The same validator
 * as the function's OSS_ENDPOINT, for backfill --endpoint / OSS_ENDPOINT / --fc-endpoint and invoke --endpoint.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { spawnCli } from './run-cli';

describe('endpoints without a scheme are refused before any connection', () => {
  let server: Server;
  let port: number;
  const connections: Socket[] = [];
  beforeAll(async () => {
    // Stands where a plaintext request would land: any connection at all is a failure.
    server = createServer((s) => { connections.push(s); s.destroy(); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => { connections.length = 0; });

  const creds = { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIexample', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-a-real-secret', ALIBABA_CLOUD_SECURITY_TOKEN: 'sts-token-never-sent', LOG_LEVEL: 'silent' };

  it.each([
    ['backfill --endpoint host:port', ['backfill', '--bucket', 'b-1', '--region', 'cn-hangzhou', '--endpoint', '127.0.0.1:PORT'], {}, '--endpoint="127.0.0.1:PORT"'],
    ['backfill OSS_ENDPOINT=host:port', ['backfill', '--bucket', 'b-1', '--region', 'cn-hangzhou'], { OSS_ENDPOINT: '127.0.0.1:PORT' }, 'OSS_ENDPOINT="127.0.0.1:PORT"'],
    ['backfill --fc-endpoint host:port', ['backfill', '--bucket', 'b-1', '--region', 'cn-hangzhou', '--endpoint', 'https://127.0.0.1:1', '--fanout', 'fn', '--account-id', '1234567890123456', '--fc-endpoint', '127.0.0.1:PORT'], {}, '--fc-endpoint="127.0.0.1:PORT"'],
    ['invoke --endpoint host:port', ['invoke', '--function', 'fn', '--account-id', '1234567890123456', '--endpoint', '127.0.0.1:PORT', 'events/put-object.json'], {}, '--endpoint="127.0.0.1:PORT"'],
  ])('%s: one line with the https:// form, exit 2, nothing sent', async (_name, argv, env, named) => {
    const sub = (s: string) => s.replace('PORT', String(port));
    const run = spawnCli(argv.map(sub), { ...creds, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, sub(v)])) });
    const { code } = await run.exited;
    const line = run.stderr();
    expect(line).toContain(`${sub(named)} is not valid: it has no scheme; write https://127.0.0.1:${port} (http:// only for a local emulator`);
    expect(line.trimEnd().split('\n')).toHaveLength(1);
    expect(line).not.toContain('sts-token-never-sent');
    expect(code).toBe(2);
    expect(connections).toHaveLength(0);
  });

  it('backfill with a bare host (as the console shows endpoints) is refused too, with the https:// form', async () => {
    const run = spawnCli(['backfill', '--bucket', 'b-1', '--region', 'cn-hangzhou', '--endpoint', 'oss-cn-hangzhou.aliyuncs.com'], creds);
    const { code } = await run.exited;
    expect(run.stderr()).toContain('--endpoint="oss-cn-hangzhou.aliyuncs.com" is not valid: it has no scheme; write https://oss-cn-hangzhou.aliyuncs.com');
    expect(code).toBe(2);
  });
});
