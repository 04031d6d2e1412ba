/**
 * Read-only FC 3.0 API calls through @alicloud/fc2, as devsapp/fc3 does it (client.version = '2023-03-30', fc2's
 * `FC <ak>:<sig>` signature): GetFunction, ListTriggers, GetAsyncInvokeConfig. Invocation reuses
 * src/remote/fc-invoker.ts. Response shapes: FC 3.0 API reference (GetFunction, ListTriggers, GetAsyncInvokeConfig;
 * a trigger's `triggerConfig` is a JSON string).
 */
import FcClient = require('@alicloud/fc2');
import { FC3_API_VERSION } from '../remote/fc-invoker';
import { FcRequestError, FcUnreachableError } from '../remote/errors';

export interface FcFunctionInfo {
  functionName?: string;
  runtime?: string;
  handler?: string;
  role?: string;
  environmentVariables?: Record<string, string>;
  instanceLifecycleConfig?: { initializer?: { handler?: string; timeout?: number } };
  logConfig?: { project?: string; logstore?: string; logBeginRule?: string };
}

export interface FcTriggerInfo {
  triggerName?: string;
  triggerType?: string;
  sourceArn?: string;
  qualifier?: string;
  invocationRole?: string;
  /** JSON text in FC 3.0 answers. */
  triggerConfig?: string | Record<string, unknown>;
}

export interface FcAsyncConfig {
  maxAsyncRetryAttempts?: number;
  maxAsyncEventAgeInSeconds?: number;
  destinationConfig?: { onFailure?: { destination?: string }; onSuccess?: { destination?: string } };
}

export interface FcAdmin {
  getFunction(name: string): Promise<FcFunctionInfo>;
  listTriggers(name: string): Promise<FcTriggerInfo[]>;
  /** undefined when the function has no async config (FC answers 404). */
  getAsyncConfig(name: string): Promise<FcAsyncConfig | undefined>;
}

export interface FcAdminOptions {
  accountId: string;
  region: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  endpoint?: string;
  qualifier?: string;
}

export function createFcAdmin(opts: FcAdminOptions): FcAdmin {
  const endpoint = opts.endpoint ?? `https://${opts.accountId}.${opts.region}.fc.aliyuncs.com`;
  const { accessKeyId, accessKeySecret, securityToken } = opts.credentials;
  const client = new FcClient(opts.accountId, {
    accessKeyID: accessKeyId, accessKeySecret, securityToken, region: opts.region, secure: true, endpoint, timeout: 30_000,
    headers: securityToken && !accessKeyId.startsWith('STS') ? { 'x-fc-security-token': securityToken } : undefined,
  });
  client.version = FC3_API_VERSION;
  const q = opts.qualifier ? { qualifier: opts.qualifier } : null;

  async function get<T>(path: string, query: Record<string, string> | null): Promise<T> {
    try {
      const res = await (client as unknown as { get(p: string, q: Record<string, string> | null, h?: Record<string, string>): Promise<FcClient.FcResponse> }).get(path, query);
      const data = res.data;
      return (typeof data === 'string' ? JSON.parse(data) : data) as T;
    } catch (err) {
      throw translate(err, endpoint);
    }
  }
  const fn = (name: string) => `/functions/${encodeURIComponent(name)}`;

  return {
    getFunction: (name) => get<FcFunctionInfo>(fn(name), q),
    async listTriggers(name) {
      const out: FcTriggerInfo[] = [];
      let nextToken = '';
      for (let page = 0; page < 20; page++) {
        // No `limit`: fc2 signs the path only, and a first page (20) holds any real function's triggers; the
        // query is sent only to page on (whether FC 3.0 signs queries is UNCONFIRMED, function-compute.md §4).
        const r = await get<{ triggers?: FcTriggerInfo[]; nextToken?: string }>(`${fn(name)}/triggers`, nextToken ? { nextToken } : null);
        out.push(...(r.triggers ?? []));
        if (!r.nextToken) break;
        nextToken = r.nextToken;
      }
      return out;
    },
    async getAsyncConfig(name) {
      try {
        return await get<FcAsyncConfig>(`${fn(name)}/async-invoke-config`, q);
      } catch (err) {
        if (err instanceof FcRequestError && /NotFound|NotExist/i.test(err.fcCode)) return undefined;
        throw err;
      }
    },
  };
}

function translate(raw: unknown, endpoint: string): Error {
  const err = (typeof raw === 'object' && raw !== null ? raw : { message: String(raw) }) as Error & { code?: unknown };
  if (typeof err.name === 'string' && /^FC.*Error$/.test(err.name) && typeof err.code === 'string') {
    const requestId = /requestid: ([^,]+),/.exec(err.message)?.[1];
    return new FcRequestError(err.code, /message: (.*)\.$/.exec(err.message)?.[1] ?? err.message, requestId === 'undefined' ? undefined : requestId);
  }
  if (typeof err.name === 'string' && err.name.startsWith('FC')) return new FcRequestError(`HTTP${/failed with (\d+)/.exec(err.message)?.[1] ?? '?'}`, err.message);
  return new FcUnreachableError(endpoint, raw, '--fc-endpoint');
}
