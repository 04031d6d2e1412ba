/**
 * pino factory. JSON lines to stdout (FC ships them raw to SLS; see function-compute.md §1 on
 * logBeginRule), with secrets redacted wherever they might appear in a logged object.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths that may hold secrets; pino censors them before serialisation. */
export const REDACT_PATHS = [
  'accessKeySecret',
  'securityToken',
  'stsToken',
  'credentials',
  'authorization',
  'headers.authorization',
  'headers["x-oss-security-token"]',
  '*.accessKeySecret',
  '*.securityToken',
  '*.stsToken',
  '*.credentials',
  '*.authorization',
  'context.credentials',
  'err.params',
];

export interface LoggerOptions {
  level?: string;
  /** Defaults to stdout; tests pass a stream to parse the JSON lines. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
