import FcClient = require('@alicloud/fc2');
import { checkEndpoint } from '../config';
import { FcRequestError, FcTimeoutError, FcUnreachableError, RemoteConfigError } from './errors';

/**
 * Invokes a deployed function through @alicloud/fc2.
 *
 * FC 2.0 functions live in a service: `POST /2016-08-15/services/<svc>[.<qualifier>]/functions/<fn>/invocations`.
 * FC 3.0 has no services; fc2's typed methods cannot address it, so (as devsapp/fc3 does in
 * src/resources/fc/impl/client.ts) the client's `version` is switched to '2023-03-30' and
 * `POST /2023-03-30/functions/<fn>/invocations[?qualifier=]` is sent with the same `FC <ak>:<sig>` signature.
 * Whether real FC 3.0 accepts that signature for InvokeFunction is UNCONFIRMED (function-compute.md §4).
 */
export interface FcInvokerOptions {
  accountId: string;
  region: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  /** Override, e.g. the local FC endpoint; default `https://<accountId>.<region>.fc.aliyuncs.com`. */
  endpoint?: string;
  /** FC 2.0 service name; without it the FC 3.0 API is used. */
  service?: string;
  qualifier?: string;
  /** How long to wait for FC's answer (default 120 s); a synchronous call waits for the function itself. */
  timeoutMs?: number;
  /** The command's option for `endpoint`, named in errors (default `--endpoint`; backfill's is `--fc-endpoint`). */
  endpointFlag?: string;
}

export interface InvokeResult {
  requestId?: string;
  /**
   * 200 for a synchronous call, 202 for an accepted async one. fc2 does not expose the HTTP
   * status; it throws on non-2xx, so a returned result is one of FC's two success statuses.
   */
  status: number;
  /** `x-fc-error-type` (HandledInvocationError / UnhandledInvocationError): the function itself failed. */
  errorType?: string;
  /** The function's return value (or FC's error JSON) as text; empty for async calls. */
  payload: string;
  /** Decoded `x-fc-log-result` (sync calls only; FC returns the last 4 KB of the invocation's log). */
  logTail?: string;
}

export interface FcInvoker {
  invoke(functionName: string, event: Buffer | string, opts?: { async?: boolean }): Promise<InvokeResult>;
}

export const FC3_API_VERSION = '2023-03-30';

// FC names: letters, digits, '_' and '-', starting with a letter or '_', ≤128; fc3's 2to3 renames
// 2.0 functions to `<service>$<function>` (devsapp/fc3 src/subCommands/2to3/index.ts), so '$' is allowed.
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,127}$/;
const SERVICE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const REGION = /^[a-z]{2,}-[a-z0-9-]+$/;

export function createFcInvoker(opts: FcInvokerOptions): FcInvoker {
  const problems = validate(opts);
  if (problems.length) throw new RemoteConfigError(problems);
  const { accessKeyId, accessKeySecret, securityToken } = opts.credentials;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const flag = opts.endpointFlag ?? '--endpoint';
  const checked = opts.endpoint === undefined ? undefined : checkEndpoint(flag, opts.endpoint);
  const endpoint = checked && 'endpoint' in checked ? checked.endpoint : `https://${opts.accountId}.${opts.region}.fc.aliyuncs.com`;
  const client = new FcClient(opts.accountId, {
    accessKeyID: accessKeyId,
    accessKeySecret,
    securityToken,
    region: opts.region,
    secure: true,
    endpoint,
    timeout: timeoutMs,
    // fc2 only sends the token for keys starting with "STS"; send (and sign) it for any key that has one.
    headers: securityToken && !accessKeyId.startsWith('STS') ? { 'x-fc-security-token': securityToken } : undefined,
  });
  if (!opts.service) client.version = FC3_API_VERSION;

  return {
    async invoke(functionName, event, invokeOpts = {}) {
      if (!FUNCTION_NAME.test(functionName)) {
        throw new RemoteConfigError([`function name "${functionName}" is not a valid FC function name (letters, digits, _ - $)`]);
      }
      const headers: Record<string, string> = invokeOpts.async
        ? { 'x-fc-invocation-type': 'Async' }
        : { 'x-fc-invocation-type': 'Sync', 'x-fc-log-type': 'Tail' };
      let res: FcClient.FcResponse;
      try {
        res = opts.service
          ? await client.invokeFunction(opts.service, functionName, event, headers, opts.qualifier, { rawBuf: true })
          : await client.post(`/functions/${functionName}/invocations`, event, headers,
            opts.qualifier ? { qualifier: opts.qualifier } : null, { rawBuf: true });
      } catch (err) {
        throw translate(err, endpoint, timeoutMs, flag);
      }
      const errorType = header(res.headers, 'x-fc-error-type');
      const logResult = header(res.headers, 'x-fc-log-result');
      return {
        requestId: header(res.headers, 'x-fc-request-id'),
        status: invokeOpts.async ? 202 : 200,
        ...(errorType ? { errorType } : {}),
        payload: asText(res.data),
        ...(logResult ? { logTail: Buffer.from(logResult, 'base64').toString('utf8') } : {}),
      };
    },
  };
}

function validate(opts: FcInvokerOptions): string[] {
  const problems: string[] = [];
  if (!opts.accountId || !/^\d+$/.test(opts.accountId)) {
    problems.push(`account id "${opts.accountId ?? ''}" must be the numeric Alibaba Cloud account id (--account-id or ALIBABA_CLOUD_ACCOUNT_ID)`);
  }
  if (!opts.region || !REGION.test(opts.region)) problems.push(`region "${opts.region ?? ''}" must look like cn-hangzhou (--region)`);
  if (!opts.credentials?.accessKeyId) problems.push('access key id is missing (ALIBABA_CLOUD_ACCESS_KEY_ID)');
  if (!opts.credentials?.accessKeySecret) problems.push('access key secret is missing (ALIBABA_CLOUD_ACCESS_KEY_SECRET)');
  if (opts.credentials?.accessKeyId?.startsWith('STS') && !opts.credentials.securityToken) {
    problems.push('STS access keys need ALIBABA_CLOUD_SECURITY_TOKEN');
  }
  if (opts.service !== undefined && !SERVICE_NAME.test(opts.service)) problems.push(`service name "${opts.service}" is not a valid FC service name`);
  if (opts.endpoint !== undefined) {
    const e = checkEndpoint(opts.endpointFlag ?? '--endpoint', opts.endpoint);
    if ('problem' in e) problems.push(e.problem);
  }
  return problems;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function asText(data: unknown): string {
  if (data === undefined || data === null) return '';
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (typeof data === 'string') return data;
  return JSON.stringify(data); // fc2 parses application/json bodies; give callers the text back
}

/** fc2 throws plain Errors: `name = FC<ErrorCode>Error` for HTTP errors (client.js request()), node/httpx errors otherwise. */
function translate(raw: unknown, endpoint: string, timeoutMs: number, endpointFlag: string): Error {
  // Duck-typed: node's network errors may come from another realm (e.g. under jest), failing instanceof Error.
  if (typeof raw !== 'object' || raw === null || typeof (raw as Error).message !== 'string') return new FcUnreachableError(endpoint, raw, endpointFlag);
  const err = raw as Error & { code?: unknown };
  const fcCode = err.code;
  if (/^FC.*Error$/.test(err.name) && err.name !== 'FCundefinedError' && typeof fcCode === 'string') {
    const requestId = /requestid: ([^,]+),/.exec(err.message)?.[1];
    const message = /message: (.*)\.$/.exec(err.message)?.[1] ?? err.message;
    return new FcRequestError(fcCode, message, requestId === 'undefined' ? undefined : requestId);
  }
  if (err.name.startsWith('FC')) {
    // A non-2xx without FC's JSON error body (e.g. a proxy's HTML page).
    const status = /failed with (\d+)/.exec(err.message)?.[1] ?? '?';
    return new FcRequestError(`HTTP${status}`, err.message);
  }
  // httpx names both of its timers (socket idle, response wait) RequestTimeoutError; its "ConnectTimeout" text
  // also fires while a connected socket waits for a long synchronous invocation, so neither means "unreachable".
  if (err.name === 'RequestTimeoutError') return new FcTimeoutError(endpoint, timeoutMs, err);
  return new FcUnreachableError(endpoint, err, endpointFlag);
}
