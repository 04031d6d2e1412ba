/**
 * Every bad configuration in test/hostile/configs/ through createHandler, the function's start-up path: each must
 * fail the instance with one ConfigError (CONFIG_INVALID) listing exactly the expected problems, each naming the
 * variable, its value and what is accepted. A config that fails never reaches OSS: the handler is never built.
 */
import { ConfigError } from '../../src/errors';
import { createHandler } from '../../src/function/create-handler';
import { DEFAULTS } from '../../src/config';
import { configEntries } from './corpus';

const entries = configEntries();

function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    createHandler({ env });
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('hostile configuration: one ConfigError listing every problem', () => {
  it('has at least 25 config entries', () => {
    expect(entries.length).toBeGreaterThanOrEqual(25);
  });

  it.each(entries.map((e) => [`${e.file}: ${e.name}`, e] as const))('%s', (_title, entry) => {
    const err = configErrorOf(entry.env);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toMatch(/^Invalid function configuration \(fix these environment variables and redeploy\):\n- /);
    // Exactly the expected problems: no problem hidden behind another, none invented.
    expect(err.problems).toHaveLength(entry.problems.length);
    for (const fragment of entry.problems) expect(err.problems.filter((p) => p.includes(fragment))).toHaveLength(1);
    // Each problem says what to do: the accepted values, a range, an example or an alternative.
    for (const p of err.problems) expect(p).toMatch(/accepted values|expected|e\.g\.|use |requires|only applies|allowed:|keep one|must be|give a|one or the other|remove them/);
    // A value with CR/LF never reaches the message raw (it would forge log lines).
    for (const p of err.problems) expect(p).not.toMatch(/[\r\n]/);
    // A password given in a variable is never echoed back.
    expect(err.message).not.toContain('SuperSecretValue123');
  });

  it('the many-bad-vars entry lists all nine problems in a single error', () => {
    const entry = entries.find((e) => e.file.endsWith('many-bad-vars.json'))!;
    expect(Object.keys(entry.env)).toHaveLength(9);
    expect(configErrorOf(entry.env).problems).toHaveLength(9);
  });

  it('an empty or blank numeric variable means "use the default", as if unset (FC renders unset ${env()} as "")', () => {
    for (const v of ['', '   ']) {
      const { policy } = createHandler({ env: { CONCURRENCY: v, RETRY_MAX_ATTEMPTS: v, OSS_TIMEOUT_MS: v } });
      expect(policy.concurrency).toBe(DEFAULTS.CONCURRENCY);
      expect(policy.retry.maxAttempts).toBe(DEFAULTS.RETRY_MAX_ATTEMPTS);
      expect(policy.timeoutMs).toBe(DEFAULTS.OSS_TIMEOUT_MS);
    }
  });

  it('accepts a key id, resolves an ARN to its key id (what OSS reports), refuses an alias (issue #10 item 9)', () => {
    for (const id of ['key-hzz6f0c9b3a1e2d4f5a6b7', '0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d']) {
      expect(createHandler({ env: { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: id } }).policy.kmsKeyId).toBe(id);
    }
    const arn = 'acs:kms:cn-hangzhou:1234567890123456:key/key-hzz6f0c9b3a1e2d4f5a6b7';
    expect(createHandler({ env: { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: arn } }).policy.kmsKeyId).toBe('key-hzz6f0c9b3a1e2d4f5a6b7');
    for (const alias of ['alias/finance_prod-1', 'acs:kms:cn-hangzhou:1234567890123456:alias/finance']) {
      expect(() => createHandler({ env: { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: alias } })).toThrow(/names the key by alias.*give the key id instead/);
    }
    expect(() => createHandler({ env: { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'acs:kms:cn-hangzhou:123:secret/x' } })).toThrow(/is not a KMS key ARN/);
  });
});
