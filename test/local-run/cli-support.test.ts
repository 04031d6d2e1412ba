import { cloudCredentials, logLevel, reportError } from '../../src/local-run/cli-support';
import { EventFileError, UsageError } from '../../src/local-run/errors';
import { intFlag, list, parseFlags } from '../../src/local-run/args';
import { ConfigError } from '../../src/errors';
import { FcRequestError, RemoteConfigError } from '../../src/remote/errors';

describe('CLI support', () => {
  const capture = () => { const lines: string[] = []; return { lines, write: (s: string) => { lines.push(s); } }; };

  test.each([
    [new UsageError('bad flag'), 2],
    [new EventFileError('e.json', 'no such file'), 2],
    [new ConfigError(['SSE_ALGORITHM: "DES" is not one of AES256, KMS, SM4']), 2],
    [new RemoteConfigError(['region "x" must look like cn-hangzhou']), 2],
    [new FcRequestError('SignatureNotMatch', 'signature mismatch'), 1],
  ])('%s → exit %i, one line with the code', (err, code) => {
    const out = capture();
    expect(reportError('replay', err, undefined, out.write)).toBe(code);
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(new RegExp(`^oss-auto-encrypt replay: .*\\[${(err as { code: string }).code}\\]\\n$`));
    expect(out.lines[0]!.trimEnd()).not.toContain('\n');
  });

  test('an unexpected error is a bug: it keeps its stack and exits 1', () => {
    const out = capture();
    expect(reportError('start', new TypeError('x is undefined'), undefined, out.write)).toBe(1);
    expect(out.lines[0]).toMatch(/^oss-auto-encrypt start: unexpected error: TypeError: x is undefined\n\s+at /);
  });

  test('log level: --verbose → info; a valid LOG_LEVEL; otherwise warn (loadPolicy reports a bad LOG_LEVEL)', () => {
    expect(logLevel(true, 'error')).toBe('info');
    expect(logLevel(false, 'debug')).toBe('debug');
    expect(logLevel(undefined, undefined)).toBe('warn');
    expect(logLevel(undefined, 'loud')).toBe('warn');
  });

  test('cloud credentials need both id and secret; the token is optional', () => {
    expect(cloudCredentials({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'a' })).toBeUndefined();
    expect(cloudCredentials({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b' })).toEqual({ accessKeyId: 'a', accessKeySecret: 'b' });
    expect(cloudCredentials({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b', ALIBABA_CLOUD_SECURITY_TOKEN: 't' })).toEqual({ accessKeyId: 'a', accessKeySecret: 'b', securityToken: 't' });
  });

  test('flag parsing: strict, with positionals; errors are UsageErrors pointing at --help', () => {
    expect(parseFlags<{ json?: boolean }>('replay', ['--json', 'a.json'], { json: { type: 'boolean' } })).toEqual({ flags: { json: true }, positionals: ['a.json'] });
    expect(() => parseFlags('replay', ['--nope'], {})).toThrow(UsageError);
    expect(() => parseFlags('invoke', ['--function'], { function: { type: 'string' } })).toThrow(/--function.*invoke --help/);
    expect(list(' a, b ,,c')).toEqual(['a', 'b', 'c']);
    expect(intFlag('port', '8080', 0, 65535)).toBe(8080);
    expect(intFlag('port', undefined, 0, 65535)).toBeUndefined();
    expect(() => intFlag('port', '70000', 0, 65535)).toThrow(/--port must be an integer from 0 to 65535, got "70000"/);
  });
});
