/**
 * Who may sign requests: the root AccessKey pair, plus STS credentials this local OSS issued (as STS AssumeRole would:
 * an `STS.`-prefixed AccessKeyId, a secret, a security token, an expiry). Only credentials issued here are accepted.
 */
import { randomBytes } from 'node:crypto';

export interface StsCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
  /** ISO 8601, like STS's Credentials.Expiration. */
  expiration: string;
}

export interface CredentialRecord {
  secret: string;
  securityToken?: string;
  expiresAt?: Date;
}

/** STS's own bounds for AssumeRole DurationSeconds are 900..43200; we allow shorter so tests can expire tokens. */
const DEFAULT_TTL_SECONDS = 3600;

export class CredentialStore {
  private readonly records = new Map<string, CredentialRecord>();

  constructor(root: { accessKeyId: string; accessKeySecret: string }) {
    if (!root.accessKeyId || !root.accessKeySecret) {
      throw new RangeError('the local OSS needs a non-empty root accessKeyId and accessKeySecret');
    }
    if (root.accessKeyId.startsWith('STS.')) throw new RangeError('the root accessKeyId must not start with "STS." (reserved for issued STS credentials)');
    this.records.set(root.accessKeyId, { secret: root.accessKeySecret });
  }

  issueSts(ttlSeconds: number = DEFAULT_TTL_SECONDS, now: Date = new Date()): StsCredentials {
    if (!Number.isFinite(ttlSeconds)) throw new RangeError(`STS ttlSeconds must be a finite number of seconds, got ${ttlSeconds}`);
    const accessKeyId = `STS.${randomToken(18)}`;
    const accessKeySecret = randomToken(30);
    // Real tokens are long opaque base64 strings starting with "CAIS"; length matters for header-size tests.
    const securityToken = `CAIS${randomBytes(240).toString('base64')}`;
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    this.records.set(accessKeyId, { secret: accessKeySecret, securityToken, expiresAt });
    return { accessKeyId, accessKeySecret, securityToken, expiration: expiresAt.toISOString() };
  }

  lookup(accessKeyId: string): CredentialRecord | undefined {
    const r = this.records.get(accessKeyId);
    return r && { ...r };
  }
}

function randomToken(chars: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(chars);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
