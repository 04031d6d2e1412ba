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
