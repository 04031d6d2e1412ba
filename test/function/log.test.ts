import { captureLogs } from './log-lines';

describe('createLogger', () => {
  it('writes one JSON line per call with level label and time', () => {
    const logs = captureLogs('info');
    logs.logger.child({ requestId: 'r-1' }).info({ bucket: 'b', key: 'k' }, 'hello');
    logs.logger.debug('hidden below info');
    const lines = logs.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', requestId: 'r-1', bucket: 'b', key: 'k', msg: 'hello' });
    expect(typeof lines[0]!.time).toBe('string');
  });

  it('redacts secrets and tokens wherever they appear', () => {
    const logs = captureLogs();
    logs.logger.info({
      accessKeySecret: 'SECRET-1',
      securityToken: 'TOKEN-1',
      credentials: { accessKeyId: 'AK', accessKeySecret: 'SECRET-2', securityToken: 'TOKEN-2' },
      context: { credentials: { accessKeySecret: 'SECRET-3' } },
      opts: { stsToken: 'TOKEN-3', authorization: 'OSS AK:sig' },
    });
    const raw = logs.raw();
    for (const secret of ['SECRET-1', 'SECRET-2', 'SECRET-3', 'TOKEN-1', 'TOKEN-2', 'TOKEN-3', 'OSS AK:sig']) expect(raw).not.toContain(secret);
    expect(raw).toContain('[REDACTED]');
  });
});
