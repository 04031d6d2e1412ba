import { AutoEncryptError } from '../errors';

/** An event file that cannot be read or is not an OSS trigger event. */
export class EventFileError extends AutoEncryptError {
  readonly code = 'EVENT_FILE_INVALID';
  constructor(readonly path: string, problem: string, options?: { cause?: unknown }) {
    super(`${path}: ${problem}`, options);
  }
}

/** Flags or environment the local tools cannot work with. */
export class UsageError extends AutoEncryptError {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
  }
}

/** OSS bucket naming rule: 3-63 of a-z, 0-9, '-', starting and ending with a letter or digit. */
export function assertBucketName(name: string, where: string): void {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name)) {
    throw new UsageError(`${where}: "${name}" is not a valid OSS bucket name (3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit)`);
  }
}
