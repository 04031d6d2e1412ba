/**
 * Test harness for doctor (not a test): a local OSS, and the local FC endpoint running the real handler for a few
 * named functions whose GetFunction / ListTriggers / GetAsyncInvokeConfig records the tests shape. A function's OSS
 * trigger is emulated with a local OSS notification that calls its handler, as FC's OSS trigger would.
 */
import { createHandler } from '../../src/function/create-handler';
import { createLogger } from '../../src/log';
import { DEFAULT_TRIGGER_EVENTS } from '../../src/doctor/checks-function';
import { startLocalOss, type LocalOss } from '../../src/local-oss';
import { startLocalFc, type LocalFc } from '../helpers/local-fc';
import type { LocalFcFunctionRecord } from '../helpers/local-fc-admin';
import { ossClient } from '../helpers/local-oss';

export const ACCOUNT = '1380146721985421';
export const REGION = 'cn-hangzhou';

export interface FnSpec {
  bucket: string;
  env: Record<string, string>;
  /** The bucket the trigger's sourceArn names (default `bucket`). */
  triggerBucket?: string;
  prefix?: string;
  /** Subscribe the trigger on the local OSS (default true); false = a trigger that never fires. */
  fires?: boolean;
  /** Deliver event keys form-encoded (S3 style: per segment, space as '+') instead of verbatim. */
  encodeEventKeys?: boolean;
}

export interface DoctorStack {
  oss: LocalOss;
  fc: LocalFc;
  /** The function role's STS AccessKeyId (one credential for the stack's life, so tests can deny it actions). */
  roleAccessKeyId: string;
  /** Env for the CLI: the same keys for OSS and FC, as a user has. */
  cliEnv: Record<string, string>;
  close(): Promise<void>;
}

export function fnRecord(name: string, spec: FnSpec, env: Record<string, string>): LocalFcFunctionRecord {
  return {
    function: {
      functionName: name, runtime: 'nodejs20', handler: 'index.handler', role: `acs:ram::${ACCOUNT}:role/oss-auto-encrypt-fc`,
      instanceLifecycleConfig: { initializer: { handler: 'index.initialize', timeout: 30 } },
      environmentVariables: env, logConfig: { project: `oss-auto-encrypt-${ACCOUNT}`, logstore: 'oss-auto-encrypt', logBeginRule: 'None' },
    },
    triggers: [{
      triggerName: 'oss-object-created', triggerType: 'oss', qualifier: 'LATEST',
      sourceArn: `acs:oss:${REGION}:${ACCOUNT}:${spec.triggerBucket ?? spec.bucket}`, invocationRole: `acs:ram::${ACCOUNT}:role/aliyunosseventnotificationrole`,
      triggerConfig: { events: DEFAULT_TRIGGER_EVENTS, filter: { key: { prefix: spec.prefix ?? 'uploads/', suffix: '' } } },
    }],
    asyncInvokeConfig: { maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 86400, destinationConfig: { onFailure: { destination: `acs:mns:${REGION}:${ACCOUNT}:/queues/oss-auto-encrypt-failed/messages` } } },
  };
}

export async function startDoctorStack(buckets: string[], fns: Record<string, FnSpec>, kmsKeys: Array<{ id: string; state?: 'Enabled' | 'Disabled' | 'PendingDeletion' }> = []): Promise<DoctorStack> {
  const oss = await startLocalOss({ buckets, accountId: ACCOUNT, region: REGION, kms: { keys: kmsKeys } });
  // One role credential (1 h) for every invocation, as FC hands an instance the same STS keys for hours.
  const role = oss.issueStsCredentials(3600);
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => fc.logStream.write(s) } });
  const handlers = Object.fromEntries(Object.entries(fns).map(([name, spec]) => {
    const env = { OSS_ENDPOINT: oss.endpoint, ALLOWED_BUCKETS: spec.bucket, ...spec.env };
    return [name, { spec, env, fn: createHandler({ env, logger }) }];
  }));
  const context = (name: string, requestId: string) => ({ requestId, region: REGION, accountId: ACCOUNT, credentials: role, function: { name } });
  const fc: LocalFc = await startLocalFc({
    accountId: ACCOUNT, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, region: REGION, functions: Object.keys(fns),
    credentials: () => role,
    handler: (event, ctx) => handlers[ctx.function.name]!.fn.handler(event, { ...context(ctx.function.name, ctx.requestId) }),
    admin: Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, fnRecord(name, h.spec, h.env)])),
  });
  let n = 0;
  for (const [name, h] of Object.entries(handlers)) {
    if (h.spec.fires === false || (h.spec.triggerBucket && h.spec.triggerBucket !== h.spec.bucket)) continue;
    oss.notifications.subscribe(h.spec.bucket, { events: DEFAULT_TRIGGER_EVENTS, prefix: h.spec.prefix ?? 'uploads/' },
      async (event) => {
        const e = event as { events: Array<{ oss: { object: { key: string } } }> };
        if (h.spec.encodeEventKeys) {
          for (const r of e.events) r.oss.object.key = r.oss.object.key.split('/').map((s) => encodeURIComponent(s).replace(/%20/g, '+')).join('/');
        }
        await h.fn.handler(e, context(name, `1-trigger-${++n}`));
      });
  }
  return {
    oss, fc, roleAccessKeyId: role.accessKeyId,
    cliEnv: { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret },
    async close() { await fc.close(); await oss.close(); },
  };
}

/** The bucket's full version listing (every version and delete marker, with ids, ETags and times). */
export async function versionListing(oss: LocalOss, bucket: string): Promise<unknown[]> {
  const c = ossClient(oss, bucket);
  const r = await c.getBucketVersions({ 'max-keys': 1000 }) as unknown as { objects?: Array<Record<string, unknown>>; deleteMarker?: Array<Record<string, unknown>> };
  const pick = (o: Record<string, unknown>) => ({ name: o.name, versionId: o.versionId, etag: o.etag, size: o.size, lastModified: o.lastModified, isLatest: o.isLatest });
  return [...(r.objects ?? []).map(pick), ...(r.deleteMarker ?? []).map((d) => ({ marker: true, ...pick(d) }))];
}
