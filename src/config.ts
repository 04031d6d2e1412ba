/**
 * The function's policy: environment variables read once per instance into a frozen, typed object.
 * Every invalid variable is collected so one ConfigError names them all (see docs/function.md).
 */
import { ConfigError } from './errors';

export const SSE_ALGORITHMS = ['AES256', 'KMS', 'SM4'] as const;
export type SseAlgorithm = (typeof SSE_ALGORITHMS)[number];

/** The encryption an object must end up with. */
export interface EncryptionTarget {
  readonly algorithm: SseAlgorithm;
  /** KMS only; absent means the OSS-managed default CMK. */
  readonly kmsKeyId?: string;
  /**
   * The key's ARN exactly as configured, when it was given as one: the RAM policy grants on it verbatim (the key
   * may live in another region or account). The function itself compares `kmsKeyId`, as OSS reports the id.
   */
  readonly kmsKeyArn?: string;
  /** KMS only: `SM4` for KMS with SM4 data encryption. */
  readonly kmsDataEncryption?: 'SM4';
}

/** One SSE_RULES entry: a prefix that is either skipped or gets its own encryption. */
export interface Rule {
  readonly prefix: string;
  readonly skip: boolean;
  /** Absent when `skip` is true. */
  readonly target?: EncryptionTarget;
}

export interface RetryPolicy {
  /** Total attempts per OSS request, including the first. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface Policy {
  /** Default encryption (SSE_ALGORITHM, SSE_KMS_KEY_ID, SSE_KMS_DATA_ENCRYPTION). */
  readonly algorithm: SseAlgorithm;
  readonly kmsKeyId?: string;
  readonly kmsDataEncryption?: 'SM4';
  readonly defaultTarget: EncryptionTarget;
  /** SSE_RULES, sorted longest prefix first. */
  readonly rules: readonly Rule[];
  readonly onMismatch: 'skip' | 'reencrypt';
  readonly dryRun: boolean;
  readonly versionedPlaintext: 'keep' | 'delete';
  readonly preserveAcl: boolean;
  readonly multipartThresholdBytes: number;
  readonly multipartPartBytes: number;
  /** Parallel UploadPartCopy requests per multipart object. */
  readonly multipartConcurrency: number;
  /** Objects processed in parallel per invocation. */
  readonly concurrency: number;
  /** Undefined: every bucket is allowed. */
  readonly allowedBuckets?: readonly string[];
  /** OSS_ENDPOINT override; default is https://oss-<region>-internal.aliyuncs.com. */
  readonly endpoint?: string;
  readonly logLevel: LogLevel;
  /** Per-request timeout for OSS calls (OSS_TIMEOUT_MS). */
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** OSS's smallest non-final part (oss-api.md §1.4). */
export const MIN_PART_BYTES = 100 * 1024;
/** OSS's largest part (5 GiB) and part count. */
export const MAX_PART_BYTES = 5 * GiB;
export const MAX_PARTS = 10_000;

/** Every default in one place; docs/function.md mirrors this table. */
export const DEFAULTS = {
  SSE_ALGORITHM: 'AES256',
  SSE_ON_MISMATCH: 'skip',
  DRY_RUN: false,
  VERSIONED_PLAINTEXT: 'keep',
  PRESERVE_ACL: true,
  /**
   * CopyObject that changes encryption is limited to "1 GB" and whether that is 10^9 or 2^30 bytes is unknown
   * (evidence §10): the stricter reading. Also the largest value accepted.
   */
  MULTIPART_THRESHOLD_BYTES: 1_000_000_000,
  /** Alibaba's own copier uses 64 MiB parts (oss-api.md §1.4). */
  MULTIPART_PART_BYTES: 64 * MiB,
  MULTIPART_CONCURRENCY: 4,
  CONCURRENCY: 8,
  LOG_LEVEL: 'info',
  OSS_TIMEOUT_MS: 60_000,
  RETRY_MAX_ATTEMPTS: 4,
  RETRY_BASE_DELAY_MS: 200,
  RETRY_MAX_DELAY_MS: 5_000,
} as const;

/** Characters a KMS key id, alias or ARN can hold. */
const KMS_KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_\-/:.]{0,255}$/;
/** OSS bucket naming rule: 3-63 of a-z, 0-9, '-', starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

type Env = Record<string, string | undefined>;

/** A value as it appears in a problem: JSON-quoted, so CR/LF or quotes in it cannot forge log lines; long values cut. */
const quote = (v: string): string => JSON.stringify(v.length > 120 ? v.slice(0, 120) + '…' : v);

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  oneOf<T extends string>(name: string, accepted: readonly T[], fallback: T, caseInsensitive = true): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const hit = accepted.find((a) => (caseInsensitive ? a.toLowerCase() === v.toLowerCase() : a === v));
    if (hit === undefined) {
      this.problems.push(`${name}=${quote(v)} is not valid; accepted values: ${accepted.join(' | ')} (default ${fallback}).`);
      return fallback;
    }
    return hit;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    this.problems.push(`${name}=${quote(v)} is not valid; accepted values: true | false (default ${fallback}).`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name}=${quote(v)} is not valid; expected a whole number from ${min} to ${max} (default ${fallback}).`);
      return fallback;
    }
    return n;
  }
}

/** Validates algorithm/key/data-encryption combinations; `where` names the source for messages. */
function buildTarget(
  problems: string[],
  where: { alg: string; key: string; dataEnc: string },
  algorithm: SseAlgorithm,
  kmsKeyId: string | undefined,
  dataEnc: string | undefined,
): EncryptionTarget {
  let kmsKeyArn: string | undefined;
  if (kmsKeyId !== undefined && algorithm !== 'KMS') {
    problems.push(`${where.key} is set but ${where.alg} is ${algorithm}; a KMS key id only applies with ${where.alg}=KMS.`);
  }
  // The id travels in the x-oss-server-side-encryption-key-id header: a CR/LF, space or quote there is a header
  // injection or a typo, never a key. KMS ids are a key id, `alias/<name>` or an ARN (acs:kms:<region>:<account>:key/<id>).
  if (kmsKeyId !== undefined && !KMS_KEY_ID.test(kmsKeyId)) {
    problems.push(
      `${where.key}=${JSON.stringify(kmsKeyId.slice(0, 80))} is not a KMS key id; use the key id (e.g. key-hzz6…) or its ARN: letters, digits and - _ / : . only, at most 256 characters.`,
    );
  } else if (kmsKeyId !== undefined) {
    // OSS reports the key id on every object, never the alias or ARN it was given (evidence §18, issue #10 item 9),
    // so the function compares against the key id: an ARN names it; an alias cannot be resolved without KMS.
    const arn = /^acs:kms:[^:]*:[^:]*:key\/(.+)$/i.exec(kmsKeyId);
    if (arn) {
      kmsKeyArn = kmsKeyId;
      kmsKeyId = arn[1];
    }
    else if (/^alias\//i.test(kmsKeyId) || /^acs:kms:[^:]*:[^:]*:alias\//i.test(kmsKeyId)) {
      problems.push(
        `${where.key}=${quote(kmsKeyId)} names the key by alias, but OSS reports the key id on every object, so the encryption could not be confirmed; ` +
          'give the key id instead (KMS console → the key → Key ID, or `aliyun kms DescribeKey --KeyId <alias>`).',
      );
    } else if (/^acs:/i.test(kmsKeyId)) {
      problems.push(`${where.key}=${quote(kmsKeyId)} is not a KMS key ARN (acs:kms:<region>:<account>:key/<key id>); give the key id or its ARN.`);
    }
  }
  let kmsDataEncryption: 'SM4' | undefined;
  if (dataEnc !== undefined) {
    if (dataEnc.toUpperCase() !== 'SM4') {
      problems.push(`${where.dataEnc}=${quote(dataEnc)} is not valid; accepted values: SM4 (only with ${where.alg}=KMS), or leave it unset.`);
    } else if (algorithm !== 'KMS') {
      problems.push(`${where.dataEnc}=SM4 requires ${where.alg}=KMS (for plain SM4 use ${where.alg}=SM4).`);
    } else {
      kmsDataEncryption = 'SM4';
    }
  }
  return Object.freeze({
    algorithm,
    ...(algorithm === 'KMS' && kmsKeyId !== undefined ? { kmsKeyId } : {}),
    ...(algorithm === 'KMS' && kmsKeyArn !== undefined ? { kmsKeyArn } : {}),
    ...(kmsDataEncryption ? { kmsDataEncryption } : {}),
  });
}

function parseRules(problems: string[], raw: string | undefined, fallback: EncryptionTarget): Rule[] {
  if (raw === undefined) return [];
  const example = 'e.g. [{"prefix":"finance/","algorithm":"KMS","kmsKeyId":"<key id>"},{"prefix":"public/","skip":true}]';
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    problems.push(`SSE_RULES is not valid JSON (${(e as Error).message}); expected a JSON list, ${example}.`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push(`SSE_RULES must be a JSON list of rules, ${example}.`);
    return [];
  }
  const rules: Rule[] = [];
  const seen = new Set<string>();
  const known = new Set(['prefix', 'skip', 'algorithm', 'kmsKeyId', 'kmsDataEncryption']);
  parsed.forEach((r: unknown, i) => {
    const at = `SSE_RULES[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      problems.push(`${at} must be an object with "prefix" and either "skip":true or "algorithm", ${example}.`);
      return;
    }
    const o = r as Record<string, unknown>;
    const unknownKeys = Object.keys(o).filter((k) => !known.has(k));
    if (unknownKeys.length) problems.push(`${at} has unknown field(s) ${unknownKeys.join(', ')}; allowed: ${[...known].join(', ')}.`);
    if (typeof o.prefix !== 'string') {
      problems.push(`${at}.prefix must be a string (use "" to match every key).`);
      return;
    }
    // A prefix that can never match is a silent no-op rule: refuse it (as `policy` does for a wildcard).
    if (/^[/\\]/.test(o.prefix)) {
      problems.push(`${at}.prefix ${quote(o.prefix)} starts with "${o.prefix[0]}", which no OSS object key does, so the rule would never match; write it without the leading "${o.prefix[0]}", e.g. ${quote(o.prefix.replace(/^[/\\]+/, ''))}.`);
    }
    if (/[*?]/.test(o.prefix)) {
      problems.push(`${at}.prefix ${quote(o.prefix)} contains a wildcard, but rules match a literal key prefix (the "*" would have to be in the key); write the part before it, e.g. ${quote(o.prefix.slice(0, o.prefix.search(/[*?]/)))}.`);
    }
    if (seen.has(o.prefix)) problems.push(`${at}.prefix ${quote(o.prefix)} appears twice; keep one rule per prefix.`);
    seen.add(o.prefix);
    if (o.skip !== undefined && typeof o.skip !== 'boolean') problems.push(`${at}.skip must be true or false.`);
    if (o.skip === true) {
      if (o.algorithm !== undefined || o.kmsKeyId !== undefined || o.kmsDataEncryption !== undefined) {
        problems.push(`${at} has "skip":true and encryption fields; use one or the other.`);
      }
      rules.push(Object.freeze({ prefix: o.prefix, skip: true }));
      return;
    }
    let algorithm: SseAlgorithm = fallback.algorithm;
    if (o.algorithm !== undefined) {
      const hit = SSE_ALGORITHMS.find((a) => typeof o.algorithm === 'string' && a === o.algorithm.toUpperCase());
      if (!hit) {
        problems.push(`${at}.algorithm=${quote(String(o.algorithm))} is not valid; accepted values: ${SSE_ALGORITHMS.join(' | ')}.`);
        return;
      }
      algorithm = hit;
    }
    for (const f of ['kmsKeyId', 'kmsDataEncryption'] as const) {
      if (o[f] !== undefined && o[f] !== null && (typeof o[f] !== 'string' || o[f] === '')) problems.push(`${at}.${f} must be a non-empty string, or null for none.`);
    }
    // Field by field: a rule that keeps the default algorithm (or names the same one) inherits the default's
    // KMS key and SM4 data encryption unless it sets them (null clears one: the OSS-managed key, AES-256 data
    // keys). A rule that changes the algorithm inherits nothing: a KMS key belongs to the algorithm it was set for.
    const sameAlgorithm = algorithm === fallback.algorithm;
    const field = (f: 'kmsKeyId' | 'kmsDataEncryption'): string | undefined => {
      if (o[f] === null) return undefined;
      if (typeof o[f] === 'string' && o[f] !== '') return o[f] as string;
      // The default's key as it was given (its ARN when it was one), so the rule's target keeps the ARN for the policy.
      return sameAlgorithm ? (f === 'kmsKeyId' ? fallback.kmsKeyArn ?? fallback.kmsKeyId : fallback[f]) : undefined;
    };
    const target = buildTarget(
      problems,
      { alg: `${at}.algorithm`, key: `${at}.kmsKeyId`, dataEnc: `${at}.kmsDataEncryption` },
      algorithm,
      field('kmsKeyId'),
      field('kmsDataEncryption'),
    );
    rules.push(Object.freeze({ prefix: o.prefix, skip: false, target }));
  });
  return rules.sort((a, b) => b.prefix.length - a.prefix.length);
}

/**
 * Validates an endpoint URL given as `name` (OSS_ENDPOINT, --endpoint, --fc-endpoint …): http(s) only, with an explicit
 * scheme, no credentials, no path. Without a scheme ali-oss would silently use plain HTTP and send signed requests
 * and STS tokens in cleartext, and `host:port` parses as a URL whose scheme is the host: refuse both and say what to type.
 * Returns the endpoint without trailing slashes, or the problem.
 */
export function checkEndpoint(name: string, raw: string): { endpoint: string } | { problem: string } {
  const v = raw.trim();
  // `http:/host` or `https:host`: the scheme is there, a slash is missing (not a host named "http").
  const slashes = /^(https?):\/?([^/].*)$/i.exec(v);
  if (slashes) {
    return { problem: `${name}=${quote(raw)} is not valid: "${slashes[1]}:" must be followed by two slashes; write ${slashes[1]!.toLowerCase()}://${slashes[2]!.replace(/\/.*$/, '')}.` };
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v) && /^[^\s/?#@]+(\/.*)?$/.test(v)) {
    return {
      problem: `${name}=${quote(raw)} is not valid: it has no scheme; write https://${v.replace(/\/.*$/, '')} (http:// only for a local emulator: plain HTTP sends signed requests and STS tokens in cleartext).`,
    };
  }
  let u: URL;
  try {
    u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    if (v.includes('@')) return { problem: `${name} must not contain credentials (user:password@); remove them (the value is not shown, as it may hold a secret).` };
    return { problem: `${name}=${quote(raw)} is not valid; expected a URL such as https://oss-cn-hangzhou-internal.aliyuncs.com or http://127.0.0.1:9000.` };
  }
  // The endpoint is logged (initialize line) and shown in errors: credentials in it would leak, so they are
  // refused and never echoed. A path, query or fragment would be glued onto every object URL by ali-oss.
  if (u.username || u.password) {
    return { problem: `${name} must not contain credentials (user:password@); remove them: credentials come from the RAM role or ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (${u.protocol}//${u.host}).` };
  }
  if (u.pathname.replace(/\/+$/, '') !== '' || u.search || u.hash) {
    return { problem: `${name}=${quote(raw)} has a path, query or fragment; give only scheme, host and port, e.g. ${u.protocol}//${u.host}.` };
  }
  return { endpoint: v.replace(/\/+$/, '') };
}

function parseEndpoint(problems: string[], raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const r = checkEndpoint('OSS_ENDPOINT', raw);
  if ('problem' in r) {
    problems.push(r.problem);
    return undefined;
  }
  return r.endpoint;
}

/** Reads and validates the environment; throws ConfigError listing every bad variable. */
export function loadPolicy(env: Record<string, string | undefined>): Policy {
  const r = new Reader(env);
  const algorithm = r.oneOf('SSE_ALGORITHM', SSE_ALGORITHMS, DEFAULTS.SSE_ALGORITHM);
  const defaultTarget = buildTarget(
    r.problems,
    { alg: 'SSE_ALGORITHM', key: 'SSE_KMS_KEY_ID', dataEnc: 'SSE_KMS_DATA_ENCRYPTION' },
    algorithm,
    r.raw('SSE_KMS_KEY_ID'),
    r.raw('SSE_KMS_DATA_ENCRYPTION'),
  );
  const rules = parseRules(r.problems, r.raw('SSE_RULES'), defaultTarget);
  const multipartThresholdBytes = r.int('MULTIPART_THRESHOLD_BYTES', DEFAULTS.MULTIPART_THRESHOLD_BYTES, 1, DEFAULTS.MULTIPART_THRESHOLD_BYTES);
  const multipartPartBytes = r.int('MULTIPART_PART_BYTES', DEFAULTS.MULTIPART_PART_BYTES, MIN_PART_BYTES, MAX_PART_BYTES);
  const allowedRaw = r.raw('ALLOWED_BUCKETS');
  const allowedBuckets = allowedRaw
    ?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (allowedRaw !== undefined && allowedBuckets?.length === 0) {
    r.problems.push('ALLOWED_BUCKETS is set but names no bucket; give a comma-separated list (e.g. "logs,uploads") or unset it to allow all.');
  }
  const badBuckets = allowedBuckets?.filter((b) => !BUCKET_NAME.test(b)) ?? [];
  if (badBuckets.length) {
    r.problems.push(
      `ALLOWED_BUCKETS names ${badBuckets.map((b) => JSON.stringify(b.slice(0, 80))).join(', ')}, not valid OSS bucket name(s) (3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit); give a comma-separated list such as "logs,uploads".`,
    );
  }
  const retry: RetryPolicy = Object.freeze({
    maxAttempts: r.int('RETRY_MAX_ATTEMPTS', DEFAULTS.RETRY_MAX_ATTEMPTS, 1, 20),
    baseDelayMs: r.int('RETRY_BASE_DELAY_MS', DEFAULTS.RETRY_BASE_DELAY_MS, 0, 60_000),
    maxDelayMs: r.int('RETRY_MAX_DELAY_MS', DEFAULTS.RETRY_MAX_DELAY_MS, 0, 300_000),
  });
  const policy: Policy = {
    algorithm: defaultTarget.algorithm,
    ...(defaultTarget.kmsKeyId !== undefined ? { kmsKeyId: defaultTarget.kmsKeyId } : {}),
    ...(defaultTarget.kmsDataEncryption !== undefined ? { kmsDataEncryption: defaultTarget.kmsDataEncryption } : {}),
    defaultTarget,
    rules: Object.freeze(rules),
    onMismatch: r.oneOf('SSE_ON_MISMATCH', ['skip', 'reencrypt'] as const, DEFAULTS.SSE_ON_MISMATCH),
    dryRun: r.bool('DRY_RUN', DEFAULTS.DRY_RUN),
    versionedPlaintext: r.oneOf('VERSIONED_PLAINTEXT', ['keep', 'delete'] as const, DEFAULTS.VERSIONED_PLAINTEXT),
    preserveAcl: r.bool('PRESERVE_ACL', DEFAULTS.PRESERVE_ACL),
    multipartThresholdBytes,
    multipartPartBytes,
    multipartConcurrency: r.int('MULTIPART_CONCURRENCY', DEFAULTS.MULTIPART_CONCURRENCY, 1, 64),
    concurrency: r.int('CONCURRENCY', DEFAULTS.CONCURRENCY, 1, 256),
    ...(allowedBuckets && allowedBuckets.length ? { allowedBuckets: Object.freeze(allowedBuckets) } : {}),
    ...(() => {
      const endpoint = parseEndpoint(r.problems, r.raw('OSS_ENDPOINT'));
      return endpoint ? { endpoint } : {};
    })(),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, DEFAULTS.LOG_LEVEL),
    timeoutMs: r.int('OSS_TIMEOUT_MS', DEFAULTS.OSS_TIMEOUT_MS, 100, 600_000),
    retry,
  };
  if (r.problems.length) throw new ConfigError(r.problems);
  return Object.freeze(policy);
}

/** The rule for a key: the longest matching prefix, else undefined (use the default target). */
export function ruleFor(policy: Policy, key: string): Rule | undefined {
  return policy.rules.find((rule) => key.startsWith(rule.prefix));
}
