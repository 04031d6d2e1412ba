/**
 * Deployed-function checks (with --function), through @alicloud/fc2: the function as s.yaml deploys it (runtime,
 * handler, initializer), its environment against the local policy, its log config, async retries and onFailure
 * destination, its OSS trigger, and its role, proven by one synchronous invocation on a scratch object.
 */
import { loadPolicy, type Policy } from '../config';
import { describeSse } from '../core/decide';
import { AutoEncryptError, ConfigError } from '../errors';
import type { FcInvoker } from '../remote/fc-invoker';
import { checkAbort, doctorUserFailure, encryptedAtUpload, ramAction, short, type DoctorContext } from './context';
import type { FcAdmin, FcTriggerInfo } from './fc-admin';
import { fail, ok, skip, warn, type Check } from './report';

/** What s.yaml deploys (test/deploy/s-yaml.test.ts keeps s.yaml honest about these). */
export const EXPECTED = { runtime: 'nodejs20', handler: 'index.handler', initializer: 'index.initialize' } as const;
export const DEFAULT_TRIGGER_EVENTS = ['oss:ObjectCreated:PutObject', 'oss:ObjectCreated:PostObject', 'oss:ObjectCreated:CompleteMultipartUpload'];

export interface TriggerFilter { name: string; prefix: string; suffix: string }

export interface FunctionOutcome { checks: Check[]; trigger?: TriggerFilter; exists: boolean }

/** The policy variables compared between the deployed function and here, and how to read each from a Policy. */
const COMPARED: Array<{ vars: string; get: (p: Policy) => string }> = [
  { vars: 'SSE_ALGORITHM / SSE_KMS_KEY_ID / SSE_KMS_DATA_ENCRYPTION', get: (p) => describeSse(p.defaultTarget) },
  { vars: 'SSE_RULES', get: (p) => JSON.stringify(p.rules) },
  { vars: 'SSE_ON_MISMATCH', get: (p) => p.onMismatch },
  { vars: 'DRY_RUN', get: (p) => String(p.dryRun) },
  { vars: 'VERSIONED_PLAINTEXT', get: (p) => p.versionedPlaintext },
  { vars: 'PRESERVE_ACL', get: (p) => String(p.preserveAcl) },
];

export function policyDifferences(remote: Policy, local: Policy): string[] {
  return COMPARED.filter((c) => c.get(remote) !== c.get(local)).map((c) => `${c.vars}: deployed ${c.get(remote)}, here ${c.get(local)}`);
}

function triggerConfig(t: FcTriggerInfo): { events: string[]; prefix: string; suffix: string } {
  let cfg: Record<string, unknown> = {};
  try {
    cfg = typeof t.triggerConfig === 'string' ? (JSON.parse(t.triggerConfig) as Record<string, unknown>) : (t.triggerConfig ?? {});
  } catch { /* shown as no events */ }
  const key = ((cfg.filter as { key?: Record<string, string>; Key?: Record<string, string> } | undefined)?.key
    ?? (cfg.filter as { Key?: Record<string, string> } | undefined)?.Key ?? {}) as Record<string, string>;
  return { events: Array.isArray(cfg.events) ? cfg.events.map(String) : [], prefix: String(key.prefix ?? key.Prefix ?? ''), suffix: String(key.suffix ?? key.Suffix ?? '') };
}

export async function checkFunction(ctx: DoctorContext, fc: FcAdmin, name: string, local: Policy | undefined): Promise<FunctionOutcome> {
  const checks: Check[] = [];
  let info;
  try {
    info = await fc.getFunction(name);
  } catch (err) {
    const code = err instanceof AutoEncryptError ? err.code : 'ERROR';
    const fix = /NotFound/i.test(code) ? `deploy it (npx s deploy -y), or check --function, --region and --account-id` : 'check --fc-endpoint / --region / --account-id and that these keys may call fc:GetFunction';
    return { checks: [fail('function', 'function.exists', `Function ${name}`, short(err), fix)], exists: false };
  }
  const found = `${info.runtime ?? '?'}, handler ${info.handler ?? '?'}, initializer ${info.instanceLifecycleConfig?.initializer?.handler ?? 'none'}`;
  const wrong = [
    info.runtime !== EXPECTED.runtime ? `runtime ${info.runtime ?? 'unset'} (expected ${EXPECTED.runtime})` : '',
    info.handler !== EXPECTED.handler ? `handler ${info.handler ?? 'unset'} (expected ${EXPECTED.handler})` : '',
    info.instanceLifecycleConfig?.initializer?.handler !== EXPECTED.initializer ? `initializer ${info.instanceLifecycleConfig?.initializer?.handler ?? 'unset'} (expected ${EXPECTED.initializer}: it validates the policy once per instance)` : '',
  ].filter(Boolean);
  checks.push(wrong.length
    ? fail('function', 'function.exists', `Function ${name}`, found, 'redeploy with this repository\'s s.yaml (npx s deploy -y)', wrong)
    : ok('function', 'function.exists', `Function ${name}`, `exists: ${found}`));

  // Environment: the deployed policy must load and equal the one checked here.
  const env = info.environmentVariables ?? {};
  let remote: Policy | undefined;
  try {
    remote = loadPolicy(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    checks.push(fail('function', 'function.env', 'Function environment', 'does not load: every instance fails at start', 'fix these variables in s.yaml / your environment and redeploy', [...err.problems]));
  }
  if (remote) {
    const diff = local ? policyDifferences(remote, local) : [];
    const allowed = remote.allowedBuckets && !remote.allowedBuckets.includes(ctx.bucket) ? [`ALLOWED_BUCKETS: deployed ${remote.allowedBuckets.join(',')} does not include ${ctx.bucket}`] : [];
    if (diff.length || allowed.length) {
      checks.push(fail('function', 'function.env', 'Function environment', `differs from the policy checked here (${diff.length + allowed.length} variable(s))`,
        'export the same SSE_* variables here and redeploy (npx s deploy -y), or run doctor with the function\'s values', [...diff, ...allowed]));
    } else {
      checks.push(ok('function', 'function.env', 'Function environment', `equals the local policy (${describeSse(remote.defaultTarget)}${remote.allowedBuckets ? `, ALLOWED_BUCKETS=${remote.allowedBuckets.join(',')}` : ''})`));
    }
  }

  const log = info.logConfig;
  if (!log?.logstore) checks.push(warn('function', 'function.logs', 'Log config', 'no logstore: the per-object log lines go nowhere', 'set logConfig (project, logstore, logBeginRule: None) as in s.yaml'));
  else if (log.logBeginRule !== 'None') checks.push(warn('function', 'function.logs', 'Log config', `${log.project}/${log.logstore} with logBeginRule ${log.logBeginRule ?? 'unset'}: JSON lines get glued together`, 'set logBeginRule: None (s.yaml does)'));
  else checks.push(ok('function', 'function.logs', 'Log config', `${log.project}/${log.logstore}, logBeginRule None`));

  try {
    const a = await fc.getAsyncConfig(name);
    const retries = a?.maxAsyncRetryAttempts ?? 3;
    const dest = a?.destinationConfig?.onFailure?.destination;
    if (retries < 1) checks.push(warn('function', 'function.async', 'Async retries and onFailure', `maxAsyncRetryAttempts ${retries}: a transient OSS error loses the event`, 'set MAX_ASYNC_RETRY_ATTEMPTS=3 and redeploy'));
    else if (!dest) checks.push(warn('function', 'function.async', 'Async retries and onFailure', `${retries} retries${a ? '' : ' (FC default)'}, no onFailure destination: an object that still fails is only in the logs`, 'set ON_FAILURE_DESTINATION (an MNS queue or a function) and redeploy'));
    else checks.push(ok('function', 'function.async', 'Async retries and onFailure', `${retries} retries, then ${dest}`));
  } catch (err) {
    checks.push(warn('function', 'function.async', 'Async retries and onFailure', `could not be read: ${short(err)}`, 'grant fc:GetAsyncInvokeConfig to read it'));
  }

  let trigger: TriggerFilter | undefined;
  try {
    const triggers = (await fc.listTriggers(name)).filter((t) => t.triggerType === 'oss');
    const arnTail = `:${ctx.bucket}`;
    const mine = triggers.filter((t) => (t.sourceArn ?? '').startsWith(`acs:oss:${ctx.region}:`) && (t.sourceArn ?? '').endsWith(arnTail));
    if (mine.length === 0) {
      checks.push(fail('function', 'function.trigger', 'OSS trigger', triggers.length ? `no OSS trigger on oss://${ctx.bucket}; found ${triggers.map((t) => `${t.triggerName} → ${t.sourceArn}`).join(', ')}` : 'the function has no OSS trigger',
        `deploy with OSS_BUCKET=${ctx.bucket} REGION=${ctx.region} (npx s deploy -y): the trigger's sourceArn must be acs:oss:${ctx.region}:<account>:${ctx.bucket}`));
    } else {
      const t = mine[0]!;
      const cfg = triggerConfig(t);
      trigger = { name: t.triggerName ?? '?', prefix: cfg.prefix, suffix: cfg.suffix };
      const filter = `prefix "${cfg.prefix}", suffix "${cfg.suffix}"`;
      const found = `${t.triggerName} on oss://${ctx.bucket}: ${cfg.events.join(', ') || 'no events'}; ${filter}`;
      const creating = cfg.events.filter((e) => /ObjectCreated:(PutObject|PostObject|CompleteMultipartUpload|\*)$/.test(e));
      const missing = DEFAULT_TRIGGER_EVENTS.filter((e) => !cfg.events.includes(e) && !cfg.events.includes('oss:ObjectCreated:*'));
      const loops = cfg.events.filter((e) => /ObjectCreated:(CopyObject|\*)$/.test(e));
      if (creating.length === 0) checks.push(fail('function', 'function.trigger', 'OSS trigger', found, `subscribe ${DEFAULT_TRIGGER_EVENTS.join(', ')} (s.yaml TRIGGER_EVENTS)`));
      else if (missing.length) checks.push(warn('function', 'function.trigger', 'OSS trigger', found, `objects created by ${missing.map((e) => e.split(':').pop()).join(', ')} are never encrypted; subscribe ${missing.join(', ')}`));
      else if (loops.length) checks.push(warn('function', 'function.trigger', 'OSS trigger', found, `${loops.join(', ')} also fires on the function's own copy (one extra invocation per object); drop it unless other writers copy objects in`));
      else checks.push(ok('function', 'function.trigger', 'OSS trigger', found));
    }
  } catch (err) {
    checks.push(fail('function', 'function.trigger', 'OSS trigger', `could not be listed: ${short(err)}`, 'grant fc:ListTriggers to the user running doctor'));
  }
  return { checks, exists: true, ...(trigger ? { trigger } : {}) };
}

/** A synthetic ObjectCreated:PutObject event for one scratch object, as the OSS trigger sends it. */
export function syntheticEvent(ctx: DoctorContext, key: string, etag: string, size: number): string {
  const account = ctx.facts.accountId ?? '';
  return JSON.stringify({
    events: [{
      eventName: 'ObjectCreated:PutObject', eventSource: 'acs:oss', eventTime: new Date().toISOString(), eventVersion: '1.0', region: ctx.region,
      oss: { bucket: { arn: `acs:oss:${ctx.region}:${account}:${ctx.bucket}`, name: ctx.bucket, ownerIdentity: account }, object: { key, eTag: etag.replace(/"/g, ''), size, deltaSize: size }, ossSchemaVersion: '1.0', ruleId: 'oss-auto-encrypt-doctor' },
      userIdentity: { principalId: account }, requestParameters: { sourceIPAddress: '127.0.0.1' }, responseElements: { requestId: 'doctor' },
    }],
  });
}

/** The role, proven: one synchronous invocation of the deployed function on a scratch object. */
export async function checkRole(ctx: DoctorContext, invoker: FcInvoker, name: string): Promise<Check[]> {
  const title = 'Function role (synchronous invocation)';
  const fc2 = 'fc2 InvokeFunction on the FC 3.0 API';
  if (!ctx.write) return [skip('function', 'function.role', title, 'skipped (--no-write)'), skip('evidence', 'evidence.fc2', fc2, 'not observed (--no-write)')];
  if (ctx.facts.writeBlocked) return [skip('function', 'function.role', title, `skipped: ${ctx.facts.writeBlocked}`), skip('evidence', 'evidence.fc2', fc2, 'not observed')];
  checkAbort(ctx.signal);
  const key = ctx.scratch.key('role-check.txt');
  const body = Buffer.from('oss-auto-encrypt doctor: role check\n');
  let etag: string;
  let atUpload = false;
  try {
    const put = await ctx.admin.put(ctx.bucket, key, body, { 'content-type': 'text/plain' });
    etag = put.etag ?? '';
    atUpload = encryptedAtUpload(put);
  } catch (err) {
    return [fail('function', 'function.role', title, `could not write the scratch object: ${short(err)}`, 'grant oss:PutObject to the user running doctor'), skip('evidence', 'evidence.fc2', fc2, 'not observed')];
  }
  checkAbort(ctx.signal);
  ctx.progress(`function: invoking ${name} synchronously on ${key}`);
  let res;
  try {
    res = await invoker.invoke(name, syntheticEvent(ctx, key, etag, body.length));
  } catch (err) {
    return [fail('function', 'function.role', title, `the invocation was refused: ${short(err)}`, 'check that these keys may call fc:InvokeFunction, and --fc-endpoint / --region / --account-id'),
      fail('evidence', 'evidence.fc2', fc2, `refused: ${short(err)}`, 'invoke through @alicloud/fc20230330 instead (report this)')];
  }
  const evidence = ok('evidence', 'evidence.fc2', fc2, `works in this account (request ${res.requestId ?? '?'})`);
  const logLine = (res.logTail ?? '').split('\n').map((l) => { try { return JSON.parse(l.slice(l.indexOf('{'))) as Record<string, unknown>; } catch { return undefined; } })
    .find((l) => l?.key === key);
  if (res.errorType) {
    const err = logLine?.error as { code?: string; message?: string } | undefined;
    const op = /^(\w+) failed:/.exec(err?.message ?? '')?.[1];
    const fix = err?.code === 'OSS_AccessDenied' && op ? `grant the function's role ${ramAction(op)} on acs:oss:*:*:${ctx.bucket}/* (npx oss-auto-encrypt policy prints the whole policy)` : 'see the function\'s log line below and docs/function.md';
    return [fail('function', 'function.role', title, `the function failed on a scratch object (${res.errorType})`, fix, [err ? `${err.code}: ${err.message}` : res.payload.slice(0, 300)]), evidence];
  }
  let outcome: string | undefined;
  let reason: string | undefined;
  try {
    const first = (JSON.parse(res.payload) as { results?: Array<{ outcome?: string; reason?: string }> }).results?.[0];
    outcome = first?.outcome;
    reason = first?.reason;
  } catch { /* shown below */ }
  let sse: string | undefined;
  try {
    sse = (await ctx.admin.head(ctx.bucket, key))['x-oss-server-side-encryption'];
  } catch (err) {
    const f = doctorUserFailure(err);
    return [fail('function', 'function.role', title, `the function ran (outcome ${outcome ?? 'unknown'}), but ${f.found}`, f.fix.replace('<bucket>', ctx.bucket)), evidence];
  }
  if (atUpload) {
    // Bucket default encryption encrypted the scratch object at upload: the function only HEADs and skips it, so
    // its role's copy permissions were never exercised.
    if (outcome === 'skipped' && logLine?.outcome === 'skipped') {
      return [warn('function', 'function.role', title, 'not provable here: bucket default encryption encrypts at upload; the function ran, read the object and skipped it as already-encrypted, but never had to rewrite one',
        'compare the role\'s policy with `npx oss-auto-encrypt policy` (the rewrite needs oss:PutObject, oss:GetObject, and the ACL/tagging actions)'), evidence];
    }
  } else if (outcome === 'encrypted' && sse && logLine?.outcome === 'encrypted') {
    return [ok('function', 'function.role', title, `the deployed function encrypted a scratch object (${sse}) and logged one line for it`), evidence];
  }
  // A trigger watching the whole bucket fires on the scratch object too and may get there first: the upload was
  // plaintext (atUpload false), so its encryption now is the function's doing.
  if (!atUpload && outcome === 'skipped' && reason === 'already-encrypted' && sse && logLine?.outcome === 'skipped') {
    return [ok('function', 'function.role', title, `the trigger encrypted the scratch object (${sse}) before the invocation, which then skipped it as already-encrypted and logged one line`), evidence];
  }
  return [fail('function', 'function.role', title, `unexpected result: outcome ${outcome ?? 'unknown'}, object ${sse ? `encrypted (${sse})` : 'still unencrypted'}, log line ${logLine ? 'found' : 'missing'}`,
    'compare the function\'s code with this version (redeploy with npx s deploy -y)', [res.payload.slice(0, 300)]), evidence];
}
