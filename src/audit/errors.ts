/** Errors of the audit tool. Each names what was wrong and what to do about it. */
import { AutoEncryptError } from '../errors';

/** Audit options that cannot work (missing bucket, conflicting flags, bad numbers …); lists every problem. */
export class AuditOptionsError extends AutoEncryptError {
  readonly code = 'AUDIT_OPTIONS_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid audit options: ${problems.join('; ')}.`);
  }
}

/** The inventory cannot answer the question (no EncryptionStatus column, or a row without a usable value). */
export class AuditInventoryError extends AutoEncryptError {
  readonly code = 'AUDIT_INVENTORY_UNUSABLE';
  constructor(readonly file: string, problem: string) {
    super(`Inventory manifest ${file}: ${problem}.`);
  }
}

/** Stopped (Ctrl-C) while the inventory's data files were being checked: no row was counted yet, so no report. */
export class AuditStoppedError extends AutoEncryptError {
  readonly code = 'AUDIT_STOPPED';
  constructor(file: string) {
    super(`stopped while checking the data files of inventory ${file} (MD5 and row count), before any row was counted; nothing to report`);
  }
}
