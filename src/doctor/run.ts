/**
 * One doctor run: credentials → policy → bucket → KMS → semantics probe → deployed function → trigger delivery,
 * then the scratch cleanup, which always runs (success, failure, Ctrl-C). Returns the report; never prints.
 */
import type { Policy } from '../config';
import { createOssGateway, defaultEndpoint, type OssCredentials } from '../oss/gateway';
import { createFcInvoker } from '../remote/fc-invoker';
import { checkBucket, checkBucketAcl, checkBucketEncryption, checkCredentials, checkOverwriteProtection, checkRetention, checkVersioning, skippedBucketChecks } from './checks-bucket';
import { checkFunction, checkRole } from './checks-function';
import { checkKmsKeys, checkPolicy } from './checks-policy';
import { Interrupted, ramAction, short, type DoctorContext } from './context';
import { OssOperationError } from '../errors';
import { checkDelivery } from './delivery';
import { createFcAdmin } from './fc-admin';
import { createOssAdmin } from './oss-admin';
import { runProbe } from './probe';
import { fail, ok, skip, warn, type Check, type DoctorReport } from './report';
import { SCRATCH_ROOT, Scratch } from './scratch';

export interface DoctorOptions {
  bucket: string;
  region: string;
  /** OSS endpoint; default the region's public endpoint (doctor runs outside the VPC). */
  endpoint?: string;
  credentials: OssCredentials;
  /** The environment whose SSE_* policy is checked (the same variables s.yaml deploys). */
  env: Record<string, string | undefined>;
  write: boolean;
  function?: { name: string; accountId?: string; endpoint?: string; qualifier?: string };
  waitSeconds: number;
  pollMs?: number;
  signal: AbortSignal;
  progress?: (message: string) => void;
  onTick?: (secondsLeft: number, key: string) => void;
  runId?: string;
  /** Remove what earlier (killed) runs left under the reserved prefix. */
  removeStale?: boolean;
}

export const publicEndpoint = (region: string): string => defaultEndpoint(region).replace('-internal', '');

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const started = Date.now();
  const region = opts.region.replace(/^oss-/, '');
  const endpoint = opts.endpoint ?? publicEndpoint(region);
  const admin = createOssAdmin({ region, endpoint, credentials: opts.credentials });
  const scratch = new Scratch(admin, opts.bucket, opts.runId);
  const checks: Check[] = [];
  const ctx: DoctorContext = {
    bucket: opts.bucket, region, admin, env: opts.env, write: opts.write, signal: opts.signal, scratch, facts: {},
    progress: opts.progress ?? (() => undefined),
    gateway: createOssGateway({ region, endpoint, credentials: opts.credentials, timeoutMs: 30_000, retry: { maxAttempts: 2 } }),
  };
  let interrupted = false;
  let cleanup: DoctorReport['cleanup'] = { removedVersions: 0, leftBehind: [] };
  try {
    await steps(ctx, opts, checks);
  } catch (err) {
    if (err instanceof Interrupted) interrupted = true;
    // Anything unexpected still ends in a (partial) report with the cleanup result, never a lost one.
    else checks.push(fail('credentials', 'doctor.error', 'Doctor run', `stopped early: ${short(err)}`, 'the checks above ran; fix what the error names (often a permission of the user running doctor) and run doctor again'));
  } finally {
    try {
      cleanup = await scratch.cleanup();
    } catch (err) {
      cleanup = { removedVersions: 0, leftBehind: [`${scratch.prefix} (cleanup failed: ${short(err)})`] };
    }
  }
  return {
    bucket: opts.bucket, region, endpoint, ...(opts.function ? { function: opts.function.name } : {}),
    checks, cleanup, interrupted, durationMs: Date.now() - started,
  };
}

async function steps(ctx: DoctorContext, opts: DoctorOptions, checks: Check[]): Promise<void> {
  const cred = await checkCredentials(ctx);
  checks.push(...cred.checks);
  if (!cred.usable) return;
  const { checks: policyChecks, policy } = checkPolicy(ctx);
  const bucket = await checkBucket(ctx);
  checks.push(...bucket.checks);
  if (!bucket.usable) {
    checks.push(...skippedBucketChecks('not checked: the bucket cannot be used (see above)'), ...policyChecks);
    return;
  }
  checks.push(await checkVersioning(ctx, policy), await checkBucketEncryption(ctx, policy), await checkBucketAcl(ctx, policy),
    await checkRetention(ctx), await checkOverwriteProtection(ctx));
  checks.push(...policyChecks);
  if (ctx.write) ctx.facts.writeBlocked = writeGate(ctx.facts);
  if (ctx.write && !ctx.facts.writeBlocked) {
    try {
      await ctx.scratch.preflight();
      const runs = ctx.scratch.staleRuns();
      if (runs.length) {
        const found = `${ctx.scratch.stale.versions.length} object version(s) and ${ctx.scratch.stale.uploads.length} upload(s) left by ${runs.length} earlier doctor run(s) under ${SCRATCH_ROOT}`;
        if (opts.removeStale) {
          const n = await ctx.scratch.removeStale();
          checks.push(ok('probe', 'scratch.stale', 'Earlier runs\' scratch objects', `${found}: removed ${n} version(s) (--remove-stale)`, runs.slice(0, 5)));
        } else {
          checks.push(warn('probe', 'scratch.stale', 'Earlier runs\' scratch objects', found,
            'run doctor again with --remove-stale when no other doctor run is in progress (it also removes the delivery objects those runs recorded)', runs.slice(0, 5)));
        }
      }
    } catch (err) {
      const op = err instanceof OssOperationError ? err.operation : 'ListObjectVersions';
      ctx.facts.writeBlocked = `the scratch prefix cannot be listed (${short(err)}), so scratch objects could not be removed`;
      checks.push(fail('probe', 'scratch.list', 'Scratch cleanup path', `cannot list ${ctx.scratch.prefix}: ${short(err)}; nothing is written`,
        `grant ${ramAction(op)} on acs:oss:*:*:${ctx.bucket} to the RAM user running doctor (cleanup needs it), or run with --no-write`));
    }
  }
  if (policy) {
    checks.push(...(await checkKmsKeys(ctx, policy)));
    checks.push(...(await runProbe(ctx, policy)).checks);
  } else {
    checks.push(skip('probe', 'probe.core', 'Semantics probe (the function\'s own core)', 'skipped: the policy does not load'));
  }
  await functionSteps(ctx, opts, policy, checks);
}

/** Fail closed: write only when retention was read as absent or not in force. */
export function writeGate(facts: DoctorContext['facts']): string | undefined {
  if (facts.retention === 'in-force') return `scratch objects could not be deleted for ${facts.retentionDays ?? '?'} day(s) under the retention policy`;
  if (facts.retention !== 'absent' && facts.retention !== 'not-in-force') return 'retention unknown (GetBucketWorm could not be read): a scratch object under a retention policy could not be deleted';
  return undefined;
}

async function functionSteps(ctx: DoctorContext, opts: DoctorOptions, policy: Policy | undefined, checks: Check[]): Promise<void> {
  const f = opts.function;
  if (!f) {
    checks.push(skip('function', 'function', 'Deployed function', 'not checked: add --function NAME after `npx s deploy`'));
    return;
  }
  const accountId = f.accountId ?? ctx.facts.accountId;
  if (!accountId) {
    checks.push(fail('function', 'function', 'Deployed function', 'the account id is unknown (ListBuckets and GetBucketInfo did not name it)', 'pass --account-id or set ALIBABA_CLOUD_ACCOUNT_ID'));
    return;
  }
  const fcOpts = { accountId, region: ctx.region, credentials: opts.credentials, ...(f.endpoint ? { endpoint: f.endpoint } : {}), ...(f.qualifier ? { qualifier: f.qualifier } : {}) };
  const fn = await checkFunction(ctx, createFcAdmin(fcOpts), f.name, policy);
  checks.push(...fn.checks);
  if (!fn.exists) return;
  checks.push(...(await checkRole(ctx, createFcInvoker(fcOpts), f.name)));
  checks.push(...(await checkDelivery(ctx, fn.trigger, { waitSeconds: opts.waitSeconds, pollMs: opts.pollMs ?? 1000, ...(opts.onTick ? { onTick: opts.onTick } : {}) })));
}
