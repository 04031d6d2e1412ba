import { randomBytes } from 'node:crypto';
import { Kms, KMS_EC } from '../../src/local-oss/kms';
import { OssError } from '../../src/local-oss/errors';

const base = { region: 'cn-hangzhou', accountId: '1234567890123456' };

function errorOf(fn: () => unknown): OssError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OssError) return e;
    throw e;
  }
  throw new Error('expected an OssError, nothing was thrown');
}

describe('Kms key registry', () => {
  const kms = new Kms({ ...base, keys: [{ id: 'cmk-on' }, { id: 'cmk-off', state: 'Disabled' }, { id: 'cmk-del', state: 'PendingDeletion' }] });

  test('an enabled key resolves to itself; no key id resolves to the default key', () => {
    expect(kms.resolveForEncrypt('cmk-on')).toBe('cmk-on');
    expect(kms.resolveForEncrypt(undefined)).toBe(kms.defaultKeyId());
    expect(kms.resolveForEncrypt(kms.defaultKeyId())).toBe(kms.defaultKeyId());
    expect(kms.keyIds().sort()).toEqual(['cmk-del', 'cmk-off', 'cmk-on']);
  });

  test.each([
    ['', 'InvalidArgument', 400, KMS_EC.emptyKeyId],
    ['no-such-key', 'KeyNotFound', 404, KMS_EC.notFound],
    ['cmk-off', 'KeyDisabled', 409, KMS_EC.disabled],
    ['cmk-del', 'KeyPendingDeletion', 409, KMS_EC.pendingDeletion],
  ])('key id %j → %s %i EC %s', (id, code, status, ec) => {
    const err = errorOf(() => kms.resolveForEncrypt(id));
    expect({ code: err.code, status: err.status, ec: err.ec }).toEqual({ code, status, ec });
    if (id) expect(err.message).toContain(id);
  });

  test('ECs are the documented ones', () => {
    expect(KMS_EC).toEqual({ notActivated: '0005-00000218', emptyKeyId: '0005-00000205', notFound: '0005-00000208', disabled: '0005-00000214', pendingDeletion: '0005-00000215' });
  });

  test('state changes apply at once', () => {
    const k = new Kms({ ...base, keys: [{ id: 'k' }] });
    k.setKeyState('k', 'Disabled');
    expect(errorOf(() => k.resolveForEncrypt('k')).code).toBe('KeyDisabled');
    k.setKeyState('k', 'Enabled');
    expect(k.resolveForEncrypt('k')).toBe('k');
    k.addKey('late', 'PendingDeletion');
    expect(errorOf(() => k.resolveForEncrypt('late')).code).toBe('KeyPendingDeletion');
  });

  test('"KMS not activated" refuses every KMS request with 403 KmsServiceNotEnabled, even the default key', () => {
    const off = new Kms({ ...base, enabled: false, keys: [{ id: 'k' }] });
    for (const id of [undefined, 'k', 'unknown']) {
      const err = errorOf(() => off.resolveForEncrypt(id));
      expect([err.code, err.status, err.ec]).toEqual(['KmsServiceNotEnabled', 403, KMS_EC.notActivated]);
    }
    off.enabled = true;
    expect(off.resolveForEncrypt('k')).toBe('k');
  });

  test('decrypting needs the key usable too; SSE-OSS and the default key always decrypt', () => {
    const k = new Kms({ ...base, keys: [{ id: 'k' }] });
    expect(() => k.checkForDecrypt('k')).not.toThrow();
    expect(() => k.checkForDecrypt(undefined)).not.toThrow();
    expect(() => k.checkForDecrypt(k.defaultKeyId())).not.toThrow();
    k.setKeyState('k', 'Disabled');
    expect(errorOf(() => k.checkForDecrypt('k'))).toMatchObject({ code: 'KeyDisabled', status: 409, ec: KMS_EC.disabled });
    k.setKeyState('k', 'PendingDeletion');
    expect(errorOf(() => k.checkForDecrypt('k'))).toMatchObject({ code: 'KeyPendingDeletion', status: 409 });
    expect(errorOf(() => k.checkForDecrypt('gone'))).toMatchObject({ code: 'KeyNotFound' });
    k.enabled = false;
    expect(errorOf(() => k.checkForDecrypt(k.defaultKeyId())).code).toBe('KmsServiceNotEnabled');
    expect(() => k.checkForDecrypt(undefined)).not.toThrow();
  });

  test('aliases and ARNs resolve to the key id; unknown ones are refused as OSS does', () => {
    const k = new Kms({ ...base, keys: [{ id: 'k1', aliases: ['alias/one'] }, { id: 'k2', state: 'Disabled' }] });
    k.addAlias('alias/two', 'k2');
    expect(k.resolveForEncrypt('alias/one')).toBe('k1');
    expect(k.resolveForEncrypt('acs:kms:cn-hangzhou:1234567890123456:key/k1')).toBe('k1');
    expect(k.resolveForEncrypt('acs:kms:cn-hangzhou:1234567890123456:alias/one')).toBe('k1');
    expect(k.resolveForEncrypt('alias/acs/oss')).toBe(k.defaultKeyId());
    expect(errorOf(() => k.resolveForEncrypt('alias/two'))).toMatchObject({ code: 'KeyDisabled', status: 409 });
    expect(errorOf(() => k.resolveForEncrypt('alias/none'))).toMatchObject({ code: 'AliasNotFound', status: 404 });
    expect(errorOf(() => k.resolveForEncrypt('acs:kms:cn-beijing:1234567890123456:key/k1'))).toMatchObject({ code: 'KeyNotFound', status: 404 });
    expect(() => k.addAlias('alias/x', 'missing')).toThrow(/unknown KMS key id "missing"/);
    expect(() => k.addAlias('noprefix', 'k1')).toThrow(/alias\/<name>/);
    expect(() => k.addAlias('alias/acs/oss', 'k1')).toThrow(/reserved/);
  });

  test('bad registry calls are refused with a clear message', () => {
    const k = new Kms(base);
    expect(() => k.setKeyState('missing', 'Enabled')).toThrow(/unknown KMS key id "missing"; register it with addKey/);
    expect(() => k.addKey('x', 'Gone' as never)).toThrow(/invalid KMS key state "Gone"; use one of Enabled, Disabled, PendingDeletion, PendingImport/);
    expect(() => k.addKey('  ')).toThrow(/must not be empty/);
    expect(() => new Kms({ ...base, masterSecret: Buffer.alloc(4) })).toThrow(/at least 16 bytes/);
  });
});

describe('default managed key id', () => {
  test('UUID-shaped, stable per region and account, different across regions and accounts', () => {
    const a = new Kms(base).defaultKeyId();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Kms(base).defaultKeyId()).toBe(a);
    expect(new Kms({ ...base, region: 'cn-shanghai' }).defaultKeyId()).not.toBe(a);
    expect(new Kms({ ...base, accountId: '6543210987654321' }).defaultKeyId()).not.toBe(a);
  });
});

describe('envelope wrapping', () => {
  const kms = new Kms({ ...base, keys: [{ id: 'k1' }, { id: 'k2' }] });
  const dataKey = randomBytes(32);

  test('round-trips under a CMK and under the service master key', () => {
    expect(kms.unwrap(kms.wrap(dataKey, 'k1'), 'k1')).toEqual(dataKey);
    expect(kms.unwrap(kms.wrap(dataKey), undefined)).toEqual(dataKey);
  });

  test('the wrapped form does not contain the data key and differs each time', () => {
    const w1 = kms.wrap(dataKey, 'k1');
    const w2 = kms.wrap(dataKey, 'k1');
    expect(w1.includes(dataKey)).toBe(false);
    expect(w1.equals(w2)).toBe(false);
  });

  test('a data key wrapped under one key cannot be unwrapped under another', () => {
    const w = kms.wrap(dataKey, 'k1');
    expect(() => kms.unwrap(w, 'k2')).toThrow(/KMS key k2: wrong key or corrupted/);
    expect(() => kms.unwrap(w, undefined)).toThrow(/service master key/);
    expect(() => kms.unwrap(kms.wrap(dataKey), 'k1')).toThrow(/wrong key/);
    const tampered = Buffer.from(w);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => kms.unwrap(tampered, 'k1')).toThrow(/corrupted/);
    expect(() => kms.unwrap(Buffer.alloc(5), 'k1')).toThrow(/not a data key/);
  });

  test('key material comes from the master secret: same secret unwraps, another does not', () => {
    const secret = randomBytes(32);
    const w = new Kms({ ...base, masterSecret: secret }).wrap(dataKey, 'k1');
    expect(new Kms({ ...base, masterSecret: secret }).unwrap(w, 'k1')).toEqual(dataKey);
    expect(() => new Kms({ ...base, masterSecret: randomBytes(32) }).unwrap(w, 'k1')).toThrow(/wrong key/);
  });
});
