/** Errors of the backfill tool. Each names the input that was wrong and what to do about it. */
import { AutoEncryptError } from '../errors';

/** The --checkpoint file exists but cannot be used (unreadable, not ours, or for another bucket/prefix/manifest). */
export class CheckpointError extends AutoEncryptError {
  readonly code = 'CHECKPOINT_INVALID';
  constructor(readonly file: string, problem: string) {
    super(`Checkpoint ${file} ${problem}.`);
  }
}

/** The --manifest file or one of its CSV.gz data files cannot be used. */
export class ManifestError extends AutoEncryptError {
  readonly code = 'MANIFEST_INVALID';
  constructor(readonly file: string, problem: string) {
    super(`Inventory manifest ${file}: ${problem}.`);
  }
}

/** Backfill options that cannot work (missing bucket, bad concurrency, conflicting flags …). */
export class BackfillOptionsError extends AutoEncryptError {
  readonly code = 'BACKFILL_OPTIONS_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid backfill options: ${problems.join('; ')}.`);
  }
}

/** Listing the bucket failed for a reason retrying cannot fix (no such bucket, access denied, bad credentials). */
export class ListingError extends AutoEncryptError {
  readonly code: string;
  constructor(readonly bucket: string, cause: AutoEncryptError | Error) {
    const inner = cause instanceof AutoEncryptError ? cause.code : 'INTERNAL';
    super(`Cannot list bucket "${bucket}": ${cause.message}`, { cause });
    this.code = `LIST_${inner}`;
  }
}

/** The report file cannot be written. */
export class ReportError extends AutoEncryptError {
  readonly code = 'REPORT_UNWRITABLE';
  constructor(readonly file: string, problem: string) {
    super(`Report ${file} ${problem}.`);
  }
}

/** A batch could not be handed to Function Compute (the async invocation was refused). `cause` is the invoker's error. */
export class FanoutError extends AutoEncryptError {
  readonly code = 'FANOUT_FAILED';
  constructor(readonly functionName: string, readonly keys: number, detail: string, options?: { cause?: unknown }) {
    super(`Could not send a batch of ${keys} keys to function "${functionName}": ${detail}`, options);
  }
}

/**
 * The --fanout target itself is wrong (no such function, invalid name, credentials refused): found on
 * the first batch, before the report or checkpoint is written, and reported like a bad flag (exit 2).
 */
export class FanoutTargetError extends AutoEncryptError {
  readonly code = 'FANOUT_TARGET_INVALID';
  constructor(readonly functionName: string, detail: string, options?: { cause?: unknown }) {
    super(`--fanout ${functionName}: ${detail}. Nothing was written; fix --fanout / --service / --region / --account-id or the credentials and run again`, options);
  }
}
