import { loadPolicy, ruleFor } from '../../src/config';
import { ConfigError } from '../../src/errors';

/** issue 15 item 4: a rule inherits the default target field by field, unless it changes the algorithm. */
describe('SSE_RULES inherit the default target field by field', () => {
  const policy = (env: Record<string, string>, rules: unknown[]) => loadPolicy({ ...env, SSE_RULES: JSON.stringify(rules) });
  const kmsSm4 = { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'cmk-1', SSE_KMS_DATA_ENCRYPTION: 'SM4' };

  it('keeps what the rule does not set, under the same algorithm (named or not)', () => {
    const p = policy(kmsSm4, [{ prefix: 'a/', kmsKeyId: 'cmk-2' }, { prefix: 'b/', algorithm: 'KMS' }, { prefix: 'c/' }]);
    expect(ruleFor(p, 'a/x')?.target).toEqual({ algorithm: 'KMS', kmsKeyId: 'cmk-2', kmsDataEncryption: 'SM4' });
    expect(ruleFor(p, 'b/x')?.target).toEqual({ algorithm: 'KMS', kmsKeyId: 'cmk-1', kmsDataEncryption: 'SM4' });
    expect(ruleFor(p, 'c/x')?.target).toEqual({ algorithm: 'KMS', kmsKeyId: 'cmk-1', kmsDataEncryption: 'SM4' });
  });

  it('null clears a field: the OSS-managed key, or AES-256 data keys', () => {
    const p = policy(kmsSm4, [{ prefix: 'a/', kmsKeyId: null }, { prefix: 'b/', kmsDataEncryption: null }]);
    expect(ruleFor(p, 'a/x')?.target).toEqual({ algorithm: 'KMS', kmsDataEncryption: 'SM4' });
    expect(ruleFor(p, 'b/x')?.target).toEqual({ algorithm: 'KMS', kmsKeyId: 'cmk-1' });
  });

  it('a rule that changes the algorithm inherits no KMS field', () => {
    const p = policy({ SSE_ALGORITHM: 'AES256' }, [{ prefix: 'k/', algorithm: 'KMS' }]);
    expect(ruleFor(p, 'k/x')?.target).toEqual({ algorithm: 'KMS' });
    const q = policy(kmsSm4, [{ prefix: 's/', algorithm: 'SM4' }]);
    expect(ruleFor(q, 's/x')?.target).toEqual({ algorithm: 'SM4' });
  });

  it.each([
    [[{ prefix: '\\win', skip: true }], /starts with "\\"/],
    [[{ prefix: 'a?', skip: true }], /contains a wildcard/],
    [[{ prefix: 'a/', kmsKeyId: 5 }], /kmsKeyId must be a non-empty string, or null for none/],
  ])('refuses %j', (rules, message) => {
    expect(() => policy({}, rules)).toThrow(ConfigError);
    expect(() => policy({}, rules)).toThrow(message);
  });
});
