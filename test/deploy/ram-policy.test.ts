/** The RAM policy generator, fed real Policies from loadPolicy(env) as the function would read them. */
import { loadPolicy } from '../../src/config';
import { DeployInputError } from '../../src/deploy/errors';
import { buildFunctionRolePolicy, buildTriggerRolePolicy, buildTrustPolicy, type DeploymentTarget, type RamStatement } from '../../src/deploy/ram-policy';

const ACCOUNT = '1234567890123456';
const TARGET: DeploymentTarget = { accountId: ACCOUNT, bucket: 'photos', region: 'cn-hangzhou', prefix: 'uploads/', logProject: 'proj-1', logstore: 'store-1' };

const gen = (env: Record<string, string>, target: Partial<DeploymentTarget> = {}) => buildFunctionRolePolicy(loadPolicy(env), { ...TARGET, ...target });
const actions = (s: RamStatement[]) => s.flatMap((x) => x.Action);
const byService = (s: RamStatement[], svc: string) => s.filter((x) => x.Action.every((a) => a.startsWith(`${svc}:`)));

describe('function role policy', () => {
  test('AES256 defaults: object read/write, ACL, tags, abort on the bucket prefix only; no KMS; log only when named (FC 2.0)', () => {
    const { document, warnings } = gen({});
    expect(document.Version).toBe('1');
    expect(warnings).toEqual([]);
    const [oss, log, ...rest] = document.Statement;
    expect(rest).toEqual([]);
    expect(oss).toEqual({
      Effect: 'Allow',
      Action: ['oss:AbortMultipartUpload', 'oss:GetObject', 'oss:GetObjectAcl', 'oss:GetObjectTagging', 'oss:PutObject', 'oss:PutObjectAcl', 'oss:PutObjectTagging'],
      Resource: [`acs:oss:*:${ACCOUNT}:photos/uploads/*`],
    });
    expect(log).toEqual({ Effect: 'Allow', Action: ['log:PostLogStoreLogs'], Resource: [`acs:log:cn-hangzhou:${ACCOUNT}:project/proj-1/logstore/store-1`] });
    expect(actions(document.Statement).some((a) => a.startsWith('kms:'))).toBe(false);
  });

  test('no prefix: the whole bucket, never other buckets', () => {
    const { document } = gen({}, { prefix: '' });
    expect(document.Statement[0]!.Resource).toEqual([`acs:oss:*:${ACCOUNT}:photos/*`]);
    expect(JSON.stringify(document)).not.toMatch(/acs:oss:\*:\d+:\*/);
  });

  test('SM4 needs no KMS permissions', () => {
    expect(byService(gen({ SSE_ALGORITHM: 'SM4' }).document.Statement, 'kms')).toEqual([]);
  });

  test('KMS with a key id: KMS actions on exactly that key', () => {
    const kms = byService(gen({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-abc' }).document.Statement, 'kms');
    expect(kms).toEqual([{ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'], Resource: [`acs:kms:cn-hangzhou:${ACCOUNT}:key/key-abc`] }]);
  });

  test('KMS keys from SSE_RULES are all named; skip rules and non-KMS rules add nothing', () => {
    const rules = JSON.stringify([
      { prefix: 'finance/', algorithm: 'KMS', kmsKeyId: 'key-fin' },
      { prefix: 'hr/', algorithm: 'KMS', kmsKeyId: 'key-hr', kmsDataEncryption: 'SM4' },
      { prefix: 'public/', skip: true },
      { prefix: 'tmp/', algorithm: 'AES256' },
    ]);
    const { document, warnings } = gen({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-default', SSE_RULES: rules });
    expect(warnings).toEqual([]);
    const [kms] = byService(document.Statement, 'kms');
    expect(kms!.Resource.sort()).toEqual(['key-default', 'key-fin', 'key-hr'].map((k) => `acs:kms:cn-hangzhou:${ACCOUNT}:key/${k}`));
  });

  test('a KMS rule under an AES256 default still brings KMS in, for that key only', () => {
    const { document } = gen({ SSE_RULES: JSON.stringify([{ prefix: 'finance/', algorithm: 'KMS', kmsKeyId: 'key-fin' }]) });
    expect(byService(document.Statement, 'kms')).toEqual([expect.objectContaining({ Resource: [`acs:kms:cn-hangzhou:${ACCOUNT}:key/key-fin`] })]);
  });

  test('a key given as an ARN is used verbatim', () => {
    const arn = `acs:kms:cn-hangzhou:${ACCOUNT}:key/key-xyz`;
    expect(byService(gen({ SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: arn }).document.Statement, 'kms')[0]!.Resource).toEqual([arn]);
  });

  test('KMS with the OSS-managed default key: key/* in the region, with a warning that says how to narrow it', () => {
    const { document, warnings } = gen({ SSE_ALGORITHM: 'KMS' });
    expect(byService(document.Statement, 'kms')[0]!.Resource).toEqual([`acs:kms:cn-hangzhou:${ACCOUNT}:key/*`]);
    expect(warnings).toEqual([expect.stringMatching(/x-oss-server-side-encryption-key-id/)]);
  });

  test('reencrypt: Decrypt on the previous keys when named, else on key/* with a warning', () => {
    const env = { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-new', SSE_ON_MISMATCH: 'reencrypt' };
    const named = gen(env, { previousKmsKeyIds: ['key-old'] });
    expect(named.warnings).toEqual([]);
    expect(named.document.Statement).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [`acs:kms:cn-hangzhou:${ACCOUNT}:key/key-old`] });
    const unnamed = gen(env);
    expect(unnamed.document.Statement).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [`acs:kms:cn-hangzhou:${ACCOUNT}:key/*`] });
    expect(unnamed.warnings).toEqual([expect.stringMatching(/--previous-kms-key/)]);
  });

  test('PRESERVE_ACL=false drops both ACL actions', () => {
    const a = actions(gen({ PRESERVE_ACL: 'false' }).document.Statement);
    expect(a).not.toContain('oss:GetObjectAcl');
    expect(a).not.toContain('oss:PutObjectAcl');
    expect(a).toContain('oss:PutObject');
  });

  test('version actions only with VERSIONED_PLAINTEXT=delete', () => {
    expect(actions(gen({}).document.Statement)).not.toContain('oss:DeleteObjectVersion');
    expect(actions(gen({ VERSIONED_PLAINTEXT: 'keep' }).document.Statement)).not.toContain('oss:GetObjectVersion');
    const a = actions(gen({ VERSIONED_PLAINTEXT: 'delete' }).document.Statement);
    expect(a).toEqual(expect.arrayContaining(['oss:GetObjectVersion', 'oss:DeleteObjectVersion']));
  });

  test('DRY_RUN: read-only OSS and no KMS even when KMS is configured', () => {
    const { document } = gen({ DRY_RUN: 'true', SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-abc', VERSIONED_PLAINTEXT: 'delete' });
    const a = actions(document.Statement);
    // A dry run stops after the HEAD (src/core/encrypt.ts): oss:GetObject and nothing else.
    expect(a.filter((x) => x.startsWith('oss:')).sort()).toEqual(['oss:GetObject']);
    expect(a.some((x) => x.startsWith('kms:'))).toBe(false);
  });

  test('backfill: oss:ListObjects on the bucket, limited to the prefix; a dry-run backfill is HEAD + List only', () => {
    const { document } = gen({ DRY_RUN: 'true' }, { backfill: true, logProject: undefined, logstore: undefined });
    expect(document.Statement).toEqual([
      { Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:${ACCOUNT}:photos/uploads/*`] },
      { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:${ACCOUNT}:photos`], Condition: { StringLike: { 'oss:Prefix': ['uploads/*'] } } },
    ]);
    expect(gen({}, { backfill: true, prefix: '' }).document.Statement).toContainEqual({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:${ACCOUNT}:photos`] });
    expect(actions(gen({}).document.Statement)).not.toContain('oss:ListObjects');
  });

  test('a KMS alias becomes its alias resource (a valid ARN), never key/alias/…, with a warning; an ARN is kept verbatim', () => {
    // loadPolicy refuses an alias as SSE_KMS_KEY_ID; a hand-built Policy and --previous-kms-key can still name one.
    const facts = { ...loadPolicy({ SSE_ALGORITHM: 'KMS', SSE_ON_MISMATCH: 'reencrypt' }), defaultTarget: { algorithm: 'KMS' as const, kmsKeyId: 'alias/photos' } };
    const { document, warnings } = buildFunctionRolePolicy(facts, { ...TARGET, previousKmsKeyIds: ['alias/old-photos', 'key-older'] });
    const kms = byService(document.Statement, 'kms');
    expect(kms[0]!.Resource).toEqual([`acs:kms:cn-hangzhou:${ACCOUNT}:alias/photos`]);
    expect(kms[1]!.Resource).toEqual([`acs:kms:cn-hangzhou:${ACCOUNT}:alias/old-photos`, `acs:kms:cn-hangzhou:${ACCOUNT}:key/key-older`]);
    expect(JSON.stringify(document)).not.toContain('key/alias');
    expect(warnings).toEqual([expect.stringMatching(/alias\/photos, .*alias\/old-photos are aliases: granted on the alias resource.*UNCONFIRMED; name the key id instead/)]);
    const arn = `acs:kms:cn-shanghai:${ACCOUNT}:key/key-xyz`;
    const withArn = { ...facts, defaultTarget: { algorithm: 'KMS' as const, kmsKeyId: arn } };
    expect(byService(buildFunctionRolePolicy(withArn, TARGET).document.Statement, 'kms')[0]!.Resource).toEqual([arn]);
  });

  test('no log statement without a log project', () => {
    const { document } = buildFunctionRolePolicy(loadPolicy({}), { accountId: ACCOUNT, bucket: 'photos', region: 'cn-hangzhou' });
    expect(actions(document.Statement).some((a) => a.startsWith('log:'))).toBe(false);
  });

  test.each([
    [`acs:fc:cn-hangzhou:${ACCOUNT}:functions/dlq`, 'fc:InvokeFunction', `acs:fc:cn-hangzhou:${ACCOUNT}:functions/dlq`],
    ['acs:mns:::/queues/dlq/messages', 'mns:SendMessage', `acs:mns:cn-hangzhou:${ACCOUNT}:/queues/dlq/messages`],
    ['acs:mns:::/topics/alerts/messages', 'mns:PublishMessage', `acs:mns:cn-hangzhou:${ACCOUNT}:/topics/alerts/messages`],
  ])('onFailure destination %s needs %s', (destination, action, resource) => {
    expect(gen({}, { onFailureDestination: destination }).document.Statement).toContainEqual({ Effect: 'Allow', Action: [action], Resource: [resource] });
  });

  test('bad inputs are refused together, each saying what is wrong', () => {
    const err = (() => {
      try {
        buildFunctionRolePolicy(loadPolicy({}), { accountId: 'me', bucket: 'My_Bucket', region: 'hangzhou', prefix: 'a*', logProject: 'p-1' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DeployInputError);
    const e = err as DeployInputError;
    expect(e.code).toBe('DEPLOY_INPUT_INVALID');
    expect(e.problems).toHaveLength(5);
    expect(e.message).toMatch(/account id "me"/);
    expect(e.message).toMatch(/bucket "My_Bucket"/);
    expect(e.message).toMatch(/region "hangzhou"/);
    expect(e.message).toMatch(/prefix "a\*" contains a wildcard/);
    expect(e.message).toMatch(/both the SLS project and logstore/);
  });
});

test('trust policies name exactly one service', () => {
  expect(buildTrustPolicy('fc.aliyuncs.com')).toEqual({
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
  });
  expect(buildTrustPolicy('oss.aliyuncs.com').Statement[0]!.Principal.Service).toEqual(['oss.aliyuncs.com']);
});

test('trigger role policy: invoke this function only', () => {
  expect(buildTriggerRolePolicy({ accountId: ACCOUNT, region: 'cn-hangzhou', functionName: 'oss-auto-encrypt' })).toEqual({
    Version: '1',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['fc:InvokeFunction'],
        Resource: [`acs:fc:cn-hangzhou:${ACCOUNT}:functions/oss-auto-encrypt`, `acs:fc:cn-hangzhou:${ACCOUNT}:functions/oss-auto-encrypt/*`],
      },
    ],
  });
  expect(() => buildTriggerRolePolicy({ accountId: ACCOUNT, region: 'cn-hangzhou', functionName: '1bad name' })).toThrow(DeployInputError);
});
