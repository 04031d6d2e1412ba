/**
 * `oss-auto-encrypt policy`: prints the least-privilege RAM policy (or trust policy) for the SSE
 * policy in the current environment: the same SSE_* variables s.yaml passes to the function.
 * Flags default to the same variables s.yaml reads (OSS_BUCKET, ALIBABA_CLOUD_ACCOUNT_ID, REGION, …).
 */
import { loadPolicy } from '../config';
import { AutoEncryptError } from '../errors';
import { DeployInputError } from '../deploy/errors';
import { buildFunctionRolePolicy, buildTriggerRolePolicy, buildTrustPolicy } from '../deploy/ram-policy';
import type { Command } from './command';

const help = `Usage: oss-auto-encrypt policy --bucket B --account-id ID [options]

Prints a RAM policy document (JSON) for the function role, generated from the SSE policy in the
environment (SSE_ALGORITHM, SSE_KMS_KEY_ID, SSE_RULES, SSE_ON_MISMATCH, DRY_RUN, PRESERVE_ACL,
VERSIONED_PLAINTEXT): OSS actions on the bucket/prefix only, KMS actions only on the keys in use.
With DRY_RUN=true only what a dry run calls: HeadObject (oss:GetObject), plus ListObjects with --backfill.

Options (defaults come from the variables s.yaml reads):
  --bucket B               bucket the trigger watches            (OSS_BUCKET)
  --account-id ID          Alibaba Cloud account id (UID)        (ALIBABA_CLOUD_ACCOUNT_ID)
  --region R               region of the bucket and function     (REGION, else cn-hangzhou)
  --prefix P               trigger key prefix                    (OSS_PREFIX, else whole bucket)
  --backfill               for the identity that runs \`backfill\`: adds oss:ListObjects on the bucket (prefix only)
  --log-project P          only for an FC 2.0 service role: adds log:PostLogStoreLogs on project P …
  --log-store S            … and logstore S. FC 3.0 needs no log:* on the function role: its logs go through
                           the service-linked role AliyunServiceRoleForFC
  --no-log                 no log statement (the default; kept for old scripts)
  --on-failure ARN         async onFailure destination           (ON_FAILURE_DESTINATION)
  --previous-kms-key ID    with SSE_ON_MISMATCH=reencrypt: a key objects are encrypted with now (repeatable)
  --function-name N        function name, for --trigger          (FUNCTION_NAME, else oss-auto-encrypt)
  --trust                  print the trust policy instead (fc.aliyuncs.com; oss.aliyuncs.com with --trigger)
  --trigger                print the OSS trigger role's policy (invoke this function only)

Warnings (where the policy had to be broader than ideal) go to stderr.
Example:
  SSE_ALGORITHM=KMS SSE_KMS_KEY_ID=key-abc oss-auto-encrypt policy --bucket my-bucket --account-id 1234567890123456 > fc-policy.json
`;

export interface PolicyArgs {
  bucket?: string;
  accountId?: string;
  region: string;
  prefix: string;
  logProject?: string;
  logstore?: string;
  noLog: boolean;
  backfill: boolean;
  onFailure?: string;
  previousKmsKeys: string[];
  functionName: string;
  trust: boolean;
  trigger: boolean;
}

const VALUE_FLAGS: Record<string, keyof PolicyArgs> = {
  '--bucket': 'bucket',
  '--account-id': 'accountId',
  '--region': 'region',
  '--prefix': 'prefix',
  '--log-project': 'logProject',
  '--log-store': 'logstore',
  '--on-failure': 'onFailure',
  '--function-name': 'functionName',
};

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** Parses flags over env defaults; pure so tests can call it. Throws DeployInputError on unknown/missing flags. */
export function parsePolicyArgs(argv: string[], env: Record<string, string | undefined>): PolicyArgs {
  const args: PolicyArgs = {
    bucket: nonEmpty(env.OSS_BUCKET),
    accountId: nonEmpty(env.ALIBABA_CLOUD_ACCOUNT_ID),
    region: nonEmpty(env.REGION) ?? 'cn-hangzhou',
    prefix: env.OSS_PREFIX ?? '',
    // Not SLS_PROJECT/SLS_LOGSTORE: s.yaml sets those for FC 3.0's logConfig, which needs no grant on the role.
    noLog: false,
    backfill: false,
    onFailure: nonEmpty(env.ON_FAILURE_DESTINATION),
    previousKmsKeys: [],
    functionName: nonEmpty(env.FUNCTION_NAME) ?? 'oss-auto-encrypt',
    trust: false,
    trigger: false,
  };
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '--trust') args.trust = true;
    else if (flag === '--trigger') args.trigger = true;
    else if (flag === '--no-log') args.noLog = true;
    else if (flag === '--backfill') args.backfill = true;
    else if (flag === '--previous-kms-key' || VALUE_FLAGS[flag]) {
      const value = inline ?? argv[++i];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        problems.push(`${flag} needs a value.`);
        if (value?.startsWith('--')) i--;
        continue;
      }
      if (flag === '--previous-kms-key') args.previousKmsKeys.push(value);
      else (args as unknown as Record<string, string>)[VALUE_FLAGS[flag] as string] = value;
    } else problems.push(`unknown option "${arg}"; see \`oss-auto-encrypt policy --help\`.`);
  }
  const needsTarget = !args.trust;
  if (needsTarget && !args.accountId) problems.push('--account-id (or ALIBABA_CLOUD_ACCOUNT_ID) is required.');
  if (needsTarget && !args.trigger && !args.bucket) problems.push('--bucket (or OSS_BUCKET) is required.');
  if ((args.logProject === undefined) !== (args.logstore === undefined)) {
    problems.push('--log-project and --log-store go together (an FC 2.0 service role only; FC 3.0 needs neither).');
  }
  if (problems.length) throw new DeployInputError(problems);
  return args;
}

/** The JSON document and warnings for parsed args and the function's env. */
export function generatePolicy(args: PolicyArgs, env: Record<string, string | undefined>): { document: unknown; warnings: string[] } {
  if (args.trust) return { document: buildTrustPolicy(args.trigger ? 'oss.aliyuncs.com' : 'fc.aliyuncs.com'), warnings: [] };
  const accountId = args.accountId as string;
  if (args.trigger) return { document: buildTriggerRolePolicy({ accountId, region: args.region, functionName: args.functionName }), warnings: [] };
  const policy = loadPolicy(env);
  return buildFunctionRolePolicy(policy, {
    accountId,
    bucket: args.bucket as string,
    region: args.region,
    prefix: args.prefix,
    ...(!args.noLog && args.logProject !== undefined && args.logstore !== undefined ? { logProject: args.logProject, logstore: args.logstore } : {}),
    ...(args.backfill ? { backfill: true } : {}),
    ...(args.onFailure ? { onFailureDestination: args.onFailure } : {}),
    previousKmsKeyIds: args.previousKmsKeys,
  });
}

export const command: Command = {
  name: 'policy',
  summary: 'print the least-privilege RAM policy for the configured SSE policy',
  help,
  async run(argv: string[]): Promise<number> {
    try {
      const { document, warnings } = generatePolicy(parsePolicyArgs(argv, process.env), process.env);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return 0;
    } catch (err) {
      // Expected errors (bad flags, bad SSE_* variables) print their message; anything else keeps its stack.
      if (err instanceof AutoEncryptError) {
        process.stderr.write(`oss-auto-encrypt policy: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
  },
};
