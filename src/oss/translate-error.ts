/**
 * ali-oss error → OssOperationError. The only place that reads SDK error fields (oss-api.md §4.5):
 * XML errors carry `code`/`status`/`requestId`; HEAD errors have no body (404 → NoSuchKey, 412 →
 * PreconditionFailed, else decoded from `x-oss-err`); network failures have status -1 (-2 timeout)
 * and `ResponseTimeoutError` has no status at all. The SDK error itself is not kept as `cause`
 * because its `params` hold the request headers, STS token included.
 */
import { OssOperationError, RETRYABLE_OSS_CODES } from '../errors';

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  status?: unknown;
  requestId?: unknown;
  message?: unknown;
}

export function translateOssError(operation: string, err: unknown): OssOperationError {
  if (err instanceof OssOperationError) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorShape;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = typeof e.status === 'number' ? e.status : -1;
  const ossCode =
    typeof e.code === 'string' && e.code !== ''
      ? e.code
      : name !== 'Error' && name !== 'UnknownError'
        ? name
        : status > 0
          ? `HTTP${status}`
          : 'NetworkError';
  const retryable =
    status >= 500 || status === 429 || status === -1 || status === -2 || RETRYABLE_OSS_CODES.has(ossCode) || /Timeout/i.test(name);
  const requestId = typeof e.requestId === 'string' && e.requestId !== '' ? e.requestId : undefined;
  const message = typeof e.message === 'string' ? firstLine(e.message) : 'unknown error';
  return new OssOperationError(operation, ossCode, status, requestId, retryable, message);
}

/**
 * The message's first line without urllib's trailing socket diagnostics: network errors read
 * "connect ECONNREFUSED …, HEAD http://… -1 (connected: false, keepalive socket: false, agent status: {…})",
 * several hundred characters of agent counters that bury the cause in every log line.
 */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ -?\d* ?\(connected: (?:true|false),.*$/, '');
}
