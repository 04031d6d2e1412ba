import { ConfigError } from '../../src/errors';
import { DEFAULTS, loadPolicy, ruleFor } from '../../src/config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadPolicy(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('CONFIG_INVALID');
    return (e as ConfigError).problems;
  }
  throw new Error('expected ConfigError');
}

describe('loadPolicy defaults', () => {
  it('uses the documented defaults for an empty environment', () => {
    const p = loadPolicy({});
    expect(p.algorithm).toBe('AES256');
    expect(p.defaultTarget).toEqual({ algorithm: 'AES256' });
    expect(p.onMismatch).toBe('skip');
    expect(p.dryRun).toBe(false);
    expect(p.versionedPlaintext).toBe('keep');
    expect(p.preserveAcl).toBe(true);
    expect(p.multipartThresholdBytes).toBe(1_000_000_000);
    expect(p.multipartPartBytes).toBe(DEFAULTS.MULTIPART_PART_BYTES);
    expect(p.allowedBuckets).toBeUndefined();
    expect(p.endpoint).toBeUndefined();
    expect(p.logLevel).toBe('info');
    expect(p.rules).toEqual([]);
  });

  it('returns a frozen policy', () => {
    const p = loadPolicy({});
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.defaultTarget)).toBe(true);
  });

  it('treats blank values as unset', () => {
    expect(loadPolicy({ SSE_ALGORITHM: '  ', DRY_RUN: '' }).algorithm).toBe('AES256');
  });
});

describe('loadPolicy SSE modes', () => {
  it.each([
    [{ SSE_ALGORITHM: 'AES256' }, { algorithm: 'AES256' }],
    [{ SSE_ALGORITHM: 'kms' }, { algorithm: 'KMS' }],
    [{ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-1' }, { algorithm: 'KMS', kmsKeyId: 'key-1' }],
    [{ SSE_ALGORITHM: 'SM4' }, { algorithm: 'SM4' }],
    [{ SSE_ALGORITHM: 'KMS', SSE_KMS_DATA_ENCRYPTION: 'sm4' }, { algorithm: 'KMS', kmsDataEncryption: 'SM4' }],
  ])('%j → %j', (env, target) => {
    expect(loadPolicy(env).defaultTarget).toEqual(target);
  });

  it('rejects an unknown algorithm naming the variable and the accepted values', () => {
    const [p] = problemsOf({ SSE_ALGORITHM: 'RSA' });
    expect(p).toContain('SSE_ALGORITHM="RSA"');
    expect(p).toContain('AES256 | KMS | SM4');
  });

  it('rejects a key id without KMS', () => {
    expect(problemsOf({ SSE_ALGORITHM: 'AES256', SSE_KMS_KEY_ID: 'k' })[0]).toMatch(/SSE_KMS_KEY_ID is set but SSE_ALGORITHM is AES256/);
  });

  it('rejects SM4 data encryption without KMS and unknown data encryption values', () => {
    expect(problemsOf({ SSE_ALGORITHM: 'SM4', SSE_KMS_DATA_ENCRYPTION: 'SM4' })[0]).toMatch(/requires SSE_ALGORITHM=KMS/);
    expect(problemsOf({ SSE_ALGORITHM: 'KMS', SSE_KMS_DATA_ENCRYPTION: 'AES' })[0]).toMatch(/SSE_KMS_DATA_ENCRYPTION="AES"/);
  });

  it('lists every bad variable in one error', () => {
    const problems = problemsOf({ SSE_ALGORITHM: 'x', DRY_RUN: 'maybe', SSE_ON_MISMATCH: 'fix', VERSIONED_PLAINTEXT: 'purge', PRESERVE_ACL: '2', LOG_LEVEL: 'loud' });
    expect(problems.join('\n')).toMatch(/SSE_ALGORITHM/);
    for (const name of ['DRY_RUN', 'SSE_ON_MISMATCH', 'VERSIONED_PLAINTEXT', 'PRESERVE_ACL', 'LOG_LEVEL']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });
});

describe('loadPolicy other variables', () => {
  it('parses booleans and enums', () => {
    const p = loadPolicy({ DRY_RUN: 'true', PRESERVE_ACL: 'false', SSE_ON_MISMATCH: 'reencrypt', VERSIONED_PLAINTEXT: 'delete', LOG_LEVEL: 'debug' });
    expect(p).toMatchObject({ dryRun: true, preserveAcl: false, onMismatch: 'reencrypt', versionedPlaintext: 'delete', logLevel: 'debug' });
  });

  it('parses sizes and rejects out-of-range or non-numeric ones', () => {
    expect(loadPolicy({ MULTIPART_THRESHOLD_BYTES: '1048576', MULTIPART_PART_BYTES: '204800' })).toMatchObject({
      multipartThresholdBytes: 1048576,
      multipartPartBytes: 204800,
    });
    expect(problemsOf({ MULTIPART_PART_BYTES: '1000' })[0]).toMatch(/MULTIPART_PART_BYTES="1000".*from 102400/);
    expect(problemsOf({ CONCURRENCY: 'many' })[0]).toMatch(/CONCURRENCY="many" is not valid; expected a whole number/);
    expect(problemsOf({ MULTIPART_THRESHOLD_BYTES: '-5' })[0]).toMatch(/MULTIPART_THRESHOLD_BYTES/);
  });

  it('parses ALLOWED_BUCKETS and rejects an empty list', () => {
    expect(loadPolicy({ ALLOWED_BUCKETS: ' logs, uploads ,' }).allowedBuckets).toEqual(['logs', 'uploads']);
    expect(problemsOf({ ALLOWED_BUCKETS: ' , ' })[0]).toMatch(/ALLOWED_BUCKETS is set but names no bucket/);
  });

  it('validates OSS_ENDPOINT', () => {
    expect(loadPolicy({ OSS_ENDPOINT: 'http://127.0.0.1:9000/' }).endpoint).toBe('http://127.0.0.1:9000');
    expect(problemsOf({ OSS_ENDPOINT: 'oss-cn-hangzhou.aliyuncs.com' })[0]).toMatch(/OSS_ENDPOINT="oss-cn-hangzhou.aliyuncs.com" is not valid/);
  });
});

describe('SSE_RULES', () => {
  const rules = JSON.stringify([
    { prefix: 'finance/', algorithm: 'KMS', kmsKeyId: 'cmk-1' },
    { prefix: 'finance/public/', skip: true },
    { prefix: 'gov/', algorithm: 'KMS', kmsDataEncryption: 'SM4' },
    { prefix: 'plain/' },
  ]);

  it('picks the longest matching prefix and falls back to the default', () => {
    const p = loadPolicy({ SSE_RULES: rules });
    expect(ruleFor(p, 'finance/q1.csv')?.target).toEqual({ algorithm: 'KMS', kmsKeyId: 'cmk-1' });
    expect(ruleFor(p, 'finance/public/x')?.skip).toBe(true);
    expect(ruleFor(p, 'gov/a')?.target).toEqual({ algorithm: 'KMS', kmsDataEncryption: 'SM4' });
    expect(ruleFor(p, 'plain/a')?.target).toEqual({ algorithm: 'AES256' });
    expect(ruleFor(p, 'other/a')).toBeUndefined();
  });

  it.each([
    ['not json', /SSE_RULES is not valid JSON/],
    ['{"prefix":"a/"}', /SSE_RULES must be a JSON list/],
    ['[1]', /SSE_RULES\[0\] must be an object/],
    ['[{"algorithm":"KMS"}]', /SSE_RULES\[0\]\.prefix must be a string/],
    ['[{"prefix":"a/","algorithm":"DES"}]', /SSE_RULES\[0\]\.algorithm="DES" is not valid/],
    ['[{"prefix":"a/","algorithm":"AES256","kmsKeyId":"k"}]', /SSE_RULES\[0\]\.kmsKeyId is set but SSE_RULES\[0\]\.algorithm is AES256/],
    ['[{"prefix":"a/","skip":true,"algorithm":"KMS"}]', /"skip":true and encryption fields/],
    ['[{"prefix":"a/","skip":"yes"}]', /skip must be true or false/],
    ['[{"prefix":"a/","alg":"KMS"}]', /unknown field\(s\) alg/],
    ['[{"prefix":"a/","skip":true},{"prefix":"a/","skip":true}]', /appears twice/],
  ])('rejects %s', (raw, message) => {
    expect(problemsOf({ SSE_RULES: raw }).join('\n')).toMatch(message);
  });
});
