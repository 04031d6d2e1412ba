import { AutoEncryptError } from '../errors';

/** Invoker options that cannot work (missing account id, credentials, bad function name …). */
export class RemoteConfigError extends AutoEncryptError {
  readonly code = 'REMOTE_CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Cannot invoke Function Compute: ${problems.join('; ')}`);
  }
}

/** The FC endpoint could not be reached (DNS, refused connection, timeout). */
export class FcUnreachableError extends AutoEncryptError {
  readonly code = 'FC_UNREACHABLE';
  /** `endpointFlag`: the option that sets this endpoint in the command that failed (`--fc-endpoint` in backfill and doctor). */
  constructor(readonly endpoint: string, cause: unknown, endpointFlag = '--endpoint') {
    super(`Cannot reach Function Compute at ${endpoint} (${reasonOf(cause)}). Check ${endpointFlag} / --region / --account-id and your network.`, { cause });
  }
}

/**
 * FC did not answer within the client's timeout. For a synchronous call that usually means the function is still
 * running: FC does not cancel it when the caller gives up, so this is not "unreachable" and not a failure of the function.
 */
export class FcTimeoutError extends AutoEncryptError {
  readonly code = 'FC_TIMEOUT';
  constructor(readonly endpoint: string, readonly timeoutMs: number, cause: unknown) {
    super(
      `Timed out: no answer from Function Compute at ${endpoint} within ${Math.round(timeoutMs / 1000)} s (--timeout). ` +
        'A synchronous invocation is not cancelled by this: the function may still be running and finish on its own; see its logs in SLS for the result. ' +
        'Raise --timeout if the function runs longer (its limit is `timeout` in s.yaml, TIMEOUT when deploying).',
      { cause },
    );
  }
}

/** `ECONNREFUSED`, `ENOTFOUND`, `RequestTimeoutError` …: httpx often leaves `code` unset and buries it in the message. */
function reasonOf(cause: unknown): string {
  // Duck-typed: errors from node's own modules may come from another realm (e.g. under jest), failing instanceof.
  const e = (typeof cause === 'object' && cause !== null ? cause : {}) as { code?: unknown; message?: unknown; name?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(cause);
  const code = typeof e.code === 'string' ? e.code : /\bE[A-Z]{3,}\b/.exec(message)?.[0];
  if (code) return code;
  return typeof e.name === 'string' && e.name !== 'Error' ? e.name : message.split('\n')[0]!;
}

/**
 * FC refused the request itself (non-2xx): bad signature, unknown function, throttling …
 * `code` is `FC_<ErrorCode>` from FC's JSON error body, e.g. `FC_SignatureNotMatch`.
 */
export class FcRequestError extends AutoEncryptError {
  readonly code: string;
  constructor(readonly fcCode: string, message: string, readonly requestId?: string) {
    super(`Function Compute rejected the invocation (${fcCode}): ${message}${hint(fcCode)}`);
    this.code = `FC_${fcCode}`;
  }
}

function hint(fcCode: string): string {
  if (/AccessKey|Signature|SecurityToken|Auth|Forbidden|AccessDenied/i.test(fcCode)) {
    return ' Check ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys).';
  }
  if (/NotFound/i.test(fcCode)) return ' Check --function, --service, --region and --account-id.';
  return '';
}
