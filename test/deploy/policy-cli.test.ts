/** `oss-auto-encrypt policy`: flag parsing over env defaults, and the real CLI in a child process. */
import { loadPolicy } from '../../src/config';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parsePolicyArgs, generatePolicy } from '../../src/cli/policy';
import { DeployInputError } from '../../src/deploy/errors';
import { ConfigError } from '../../src/errors';

const ROOT = join(__dirname, '..', '..');
const ACCOUNT = '1234567890123456';

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'src/cli/main.ts'), 'policy', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

describe('parsePolicyArgs', () => {
  test('flags override the same variables s.yaml reads', () => {
    const env = { OSS_BUCKET: 'from-env', ALIBABA_CLOUD_ACCOUNT_ID: ACCOUNT, REGION: 'cn-beijing', OSS_PREFIX: 'in/' };
    expect(parsePolicyArgs([], env)).toMatchObject({ bucket: 'from-env', accountId: ACCOUNT, region: 'cn-beijing', prefix: 'in/' });
    expect(parsePolicyArgs(['--bucket', 'b2-x', '--region=cn-shanghai', '--prefix', 'out/', '--previous-kms-key', 'k1', '--previous-kms-key', 'k2'], env)).toMatchObject({
      bucket: 'b2-x',
      region: 'cn-shanghai',
      prefix: 'out/',
      previousKmsKeys: ['k1', 'k2'],
    });
  });

  test('defaults: region cn-hangzhou, whole bucket, function name oss-auto-encrypt', () => {
    expect(parsePolicyArgs(['--bucket', 'b-1', '--account-id', ACCOUNT], {})).toMatchObject({ region: 'cn-hangzhou', prefix: '', functionName: 'oss-auto-encrypt', trust: false, trigger: false });
  });

  test('unknown flags, missing values and missing required inputs are all reported', () => {
    let caught: unknown;
    try {
      parsePolicyArgs(['--bukket', 'x', '--region'], {});
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DeployInputError);
    const problems = (caught as DeployInputError).problems;
    expect(problems).toEqual([
      expect.stringMatching(/unknown option "--bukket"/),
      expect.stringMatching(/unknown option "x"/),
      expect.stringMatching(/--region needs a value/),
      expect.stringMatching(/--account-id \(or ALIBABA_CLOUD_ACCOUNT_ID\) is required/),
      expect.stringMatching(/--bucket \(or OSS_BUCKET\) is required/),
    ]);
  });

  test('--trust needs no bucket or account', () => {
    expect(generatePolicy(parsePolicyArgs(['--trust'], {}), {}).document).toMatchObject({ Statement: [{ Principal: { Service: ['fc.aliyuncs.com'] } }] });
    expect(generatePolicy(parsePolicyArgs(['--trust', '--trigger'], {}), {}).document).toMatchObject({ Statement: [{ Principal: { Service: ['oss.aliyuncs.com'] } }] });
  });

  test('the SSE policy comes from the env, and a bad SSE variable is the function’s own ConfigError', () => {
    const args = parsePolicyArgs(['--bucket', 'b-1', '--account-id', ACCOUNT, '--no-log'], {});
    const { document } = generatePolicy(args, { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-1' });
    expect(JSON.stringify(document)).toContain(`acs:kms:cn-hangzhou:${ACCOUNT}:key/key-1`);
    expect(JSON.stringify(document)).not.toContain('log:');
    expect(() => generatePolicy(args, { SSE_ALGORITHM: 'RSA' })).toThrow(ConfigError);
  });
});

describe('the CLI', () => {
  test('prints the policy JSON on stdout and warnings on stderr, exit 0; no log:* for the FC 3.0 role', async () => {
    // SLS_PROJECT/SLS_LOGSTORE are what s.yaml's logConfig uses: FC 3.0 ships those logs through its service-linked role.
    const r = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT, '--prefix', 'uploads/'], { SSE_ALGORITHM: 'KMS', SLS_PROJECT: 'proj-1', SLS_LOGSTORE: 'store-1' });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.Statement[0].Resource).toEqual([`acs:oss:*:${ACCOUNT}:photos/uploads/*`]);
    expect(r.stdout).not.toContain('log:');
    expect(r.stderr).toMatch(/^warning: KMS with the OSS-managed default key/);
  });

  test('an FC 2.0 service role gets log:PostLogStoreLogs when both --log-project and --log-store are given', async () => {
    const r = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT, '--log-project', 'proj-1', '--log-store', 'store-1'], {});
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).Statement).toContainEqual({ Effect: 'Allow', Action: ['log:PostLogStoreLogs'], Resource: [`acs:log:cn-hangzhou:${ACCOUNT}:project/proj-1/logstore/store-1`] });
    const half = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT, '--log-project', 'proj-1'], {});
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--log-project and --log-store go together/);
  });

  test('DRY_RUN=true: only what a dry run calls (HeadObject = oss:GetObject); with --backfill also ListObjects', async () => {
    const fn = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT], { DRY_RUN: 'true', SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-1' });
    expect(fn.code).toBe(0);
    expect(JSON.parse(fn.stdout).Statement).toEqual([{ Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:${ACCOUNT}:photos/*`] }]);
    const bf = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT, '--prefix', 'old/', '--backfill'], { DRY_RUN: 'true' });
    expect(bf.code).toBe(0);
    expect(JSON.parse(bf.stdout).Statement).toEqual([
      { Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`acs:oss:*:${ACCOUNT}:photos/old/*`] },
      { Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [`acs:oss:*:${ACCOUNT}:photos`], Condition: { StringLike: { 'oss:Prefix': ['old/*'] } } },
    ]);
  });

  test('a KMS alias: refused as SSE_KMS_KEY_ID (the function refuses it too); as --previous-kms-key a valid alias ARN and a warning', async () => {
    const refused = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT], { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'alias/photos' });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/SSE_KMS_KEY_ID="alias\/photos" names the key by alias/);
    const r = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT, '--previous-kms-key', 'alias/old-photos'], { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: 'key-1', SSE_ON_MISMATCH: 'reencrypt' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).Statement).toContainEqual({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [`acs:kms:cn-hangzhou:${ACCOUNT}:alias/old-photos`] });
    expect(r.stdout).not.toContain('key/alias');
    expect(r.stderr).toMatch(/^warning: KMS acs:kms:cn-hangzhou:\d+:alias\/old-photos is an alias/);
  });

  test('a KMS key given as an ARN in another region/account is granted on that ARN verbatim (also for a rule inheriting it); the function compares its id', async () => {
    const arn = 'acs:kms:cn-shanghai:9999999999999999:key/key-elsewhere';
    const env = { SSE_ALGORITHM: 'KMS', SSE_KMS_KEY_ID: arn, SSE_RULES: JSON.stringify([{ prefix: 'gov/', kmsDataEncryption: 'SM4' }]) };
    const r = await runCli(['--bucket', 'photos', '--account-id', ACCOUNT], env);
    expect(r.code).toBe(0);
    const kms = (JSON.parse(r.stdout).Statement as Array<{ Action: string[]; Resource: string[] }>).filter((st) => st.Action.some((a) => a.startsWith('kms:')));
    expect(kms.flatMap((st) => st.Resource)).toEqual([arn]);
    expect(r.stdout).not.toContain(`cn-hangzhou:${ACCOUNT}:key/key-elsewhere`);
    const policy = loadPolicy(env);
    expect(policy.kmsKeyId).toBe('key-elsewhere');
    expect(policy.rules[0]!.target!.kmsKeyId).toBe('key-elsewhere');
  });

  test('bad input: one clear message on stderr, nothing on stdout, exit 2', async () => {
    const r = await runCli(['--bucket', 'Bad_Bucket', '--account-id', ACCOUNT], { SSE_ON_MISMATCH: 'always' });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^oss-auto-encrypt policy: Invalid function configuration/);
    expect(r.stderr).toMatch(/SSE_ON_MISMATCH="always" is not valid/);
  });
});
