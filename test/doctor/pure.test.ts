/** The doctor's pure pieces: encoded key forms, policy comparison, KMS targets, exit code. */
import { loadPolicy } from '../../src/config';
import { policyDifferences } from '../../src/doctor/checks-function';
import { kmsTargets } from '../../src/doctor/checks-policy';
import { encodedForms } from '../../src/doctor/delivery';
import { exitCode, fail, ok, warn, type DoctorReport } from '../../src/doctor/report';

describe('doctor pure logic', () => {
  test('encodedForms: per segment (%20 and +) and whole key, never the key itself', () => {
    expect(encodedForms('up/a b 检.txt')).toEqual(['up/a%20b%20%E6%A3%80.txt', 'up/a+b+%E6%A3%80.txt', 'up%2Fa%20b%20%E6%A3%80.txt']);
    expect(encodedForms('plain.txt')).toEqual([]);
    expect(encodedForms('up/plain.txt')).toEqual(['up%2Fplain.txt']);
  });

  test('policyDifferences names each differing variable group, compares meaning not spelling', () => {
    const a = loadPolicy({ SSE_ALGORITHM: 'kms', SSE_KMS_KEY_ID: 'k1', PRESERVE_ACL: 'yes' });
    expect(policyDifferences(a, loadPolicy({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'k1', PRESERVE_ACL: 'true' }))).toEqual([]);
    expect(policyDifferences(a, loadPolicy({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'k2', DRY_RUN: 'true' }))).toEqual([
      'SSE_ALGORITHM / SSE_KMS_KEY_ID / SSE_KMS_DATA_ENCRYPTION: deployed KMS(k1), here KMS(k2)',
      'DRY_RUN: deployed false, here true',
    ]);
  });

  test('kmsTargets: the default and each rule\'s KMS target once', () => {
    const p = loadPolicy({ SSE_ALGORITHM: 'KMS', SSE_RULES: JSON.stringify([{ prefix: 'a/', algorithm: 'KMS', kmsKeyId: 'k9' }, { prefix: 'b/' }, { prefix: 'c/', algorithm: 'AES256' }]) });
    expect(kmsTargets(p)).toEqual([{ algorithm: 'KMS' }, { algorithm: 'KMS', kmsKeyId: 'k9' }]);
    expect(kmsTargets(loadPolicy({}))).toEqual([]);
  });

  test('exit code: 0 with warnings, 1 with a ✗ or anything left behind', () => {
    const base: DoctorReport = { bucket: 'b', region: 'r', endpoint: 'e', checks: [ok('bucket', 'x', 'X', 'fine'), warn('bucket', 'y', 'Y', 'hm', 'do')], cleanup: { removedVersions: 0, leftBehind: [] }, interrupted: false, durationMs: 1 };
    expect(exitCode(base)).toBe(0);
    expect(exitCode({ ...base, checks: [...base.checks, fail('bucket', 'z', 'Z', 'bad', 'fix')] })).toBe(1);
    expect(exitCode({ ...base, cleanup: { removedVersions: 1, leftBehind: ['k (version 1)'] } })).toBe(1);
  });
});
