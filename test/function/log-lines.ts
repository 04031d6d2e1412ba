/** Test helper (not a test): a pino logger writing into memory, read back as parsed JSON lines. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log';

export interface CapturedLogs {
  logger: Logger;
  lines(): Array<Record<string, unknown>>;
  raw(): string;
}

export function captureLogs(level = 'debug'): CapturedLogs {
  let buffer = '';
  const destination = new Writable({
    write(chunk, _enc, cb) {
      buffer += chunk.toString();
      cb();
    },
  });
  const logger = createLogger({ level, destination });
  return {
    logger,
    raw: () => buffer,
    lines: () =>
      buffer
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
