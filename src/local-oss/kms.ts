/**
 * The local KMS: a registry of customer master keys (CMKs) with states, the region's default managed key, and
 * envelope encryption of per-object data keys. OSS encrypts each object with its own data key and keeps only the
 * data key wrapped by a master key (the seed SSE guide: "OSS 会为每个对象生成数据密钥…使用主密钥加密数据密钥"), so this
 * module never sees object bytes, only data keys.
 *
 * Key material is not random per key: every CMK's material is HMAC-SHA256(masterSecret, "cmk:" + keyId), and the
 * service master key (SSE-OSS, AES256/SM4) is HMAC(masterSecret, "sse-oss"). With `--data-dir` the blob store
 * persists `masterSecret`, so objects written before a restart still decrypt after it.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { OssError } from './errors';

export type KmsKeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport';

export interface KmsOptions {
  region: string;
  accountId: string;
  /** false = "KMS not activated": every KMS request answers 403 KmsServiceNotEnabled. Default true. */
  enabled?: boolean;
  /** `aliases`: names like `alias/my-key` that resolve to this key (KMS CreateAlias). */
  keys?: Array<{ id: string; state?: KmsKeyState; aliases?: string[] }>;
  /** Root of all key material (>= 16 bytes). Random when absent; the disk blob store replaces it with a persisted one. */
  masterSecret?: Buffer;
}

/** ECs real OSS sends with these errors (oss-api.md §1.5 and the task contract). */
export const KMS_EC = {
  /** help.aliyun.com/en/oss/user-guide/0005-00000218: KMS used while not activated, 403. */
  notActivated: '0005-00000218',
  emptyKeyId: '0005-00000205',
  notFound: '0005-00000208',
  disabled: '0005-00000214',
  pendingDeletion: '0005-00000215',
} as const;

/** Wrapped key layout: version(1) | iv(12) | GCM tag(16) | ciphertext. The key id is the AAD, so a data key
 *  wrapped under one CMK cannot be unwrapped (or silently mis-decrypted) under another. */
const WRAP_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const STATES: readonly KmsKeyState[] = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport'];

/** The alias KMS gives the OSS-managed default key in every region. */
export const DEFAULT_KEY_ALIAS = 'alias/acs/oss';
/** `acs:kms:<region>:<account>:key/<id>` or `…:alias/<name>` (KMS ARN forms, as RAM policies and OSS accept them). */
const ARN = /^acs:kms:([^:]*):([^:]*):(key\/.+|alias\/.+)$/;

export class Kms {
  enabled: boolean;
  readonly region: string;
  readonly accountId: string;
  private readonly keys = new Map<string, KmsKeyState>();
  private readonly aliases = new Map<string, string>();
  private masterSecret: Buffer;
  private readonly defaultId: string;

  constructor(opts: KmsOptions) {
    this.region = opts.region;
    this.accountId = opts.accountId;
    this.enabled = opts.enabled ?? true;
    this.masterSecret = opts.masterSecret ?? randomBytes(32);
    if (this.masterSecret.length < 16) throw new RangeError('Kms masterSecret must be at least 16 bytes');
    this.defaultId = deriveDefaultKeyId(opts.region, opts.accountId);
    for (const k of opts.keys ?? []) {
      this.addKey(k.id, k.state);
      for (const a of k.aliases ?? []) this.addAlias(a, k.id);
    }
  }

  /** Replaces the root of all key material. Only before anything was wrapped (the blob store calls it at open). */
  setMasterSecret(secret: Buffer): void {
    if (secret.length < 16) throw new RangeError('Kms masterSecret must be at least 16 bytes');
    this.masterSecret = Buffer.from(secret);
  }

  addKey(id: string, state: KmsKeyState = 'Enabled'): void {
    if (id.trim() === '') throw new RangeError('KMS key id must not be empty');
    assertState(state);
    this.keys.set(id, state);
  }

  setKeyState(id: string, state: KmsKeyState): void {
    assertState(state);
    if (!this.keys.has(id)) throw new RangeError(`unknown KMS key id "${id}"; register it with addKey first`);
    this.keys.set(id, state);
  }

  /** Points `alias/<name>` at a registered key (KMS CreateAlias/UpdateAlias). */
  addAlias(alias: string, keyId: string): void {
    if (!/^alias\/[\w/-]+$/.test(alias)) throw new RangeError(`KMS alias must look like "alias/<name>" (letters, digits, _ - /), got "${alias}"`);
    if (alias === DEFAULT_KEY_ALIAS) throw new RangeError(`${DEFAULT_KEY_ALIAS} is reserved for the OSS default managed key`);
    if (!this.keys.has(keyId)) throw new RangeError(`unknown KMS key id "${keyId}"; register it with addKey before giving it an alias`);
    this.aliases.set(alias, keyId);
  }

  aliasNames(): string[] {
    return [...this.aliases.keys()];
  }

  keyState(id: string): KmsKeyState | undefined {
    return this.keys.get(id);
  }

  keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** The region's default managed key id (the "alias/acs/oss" key), reported by HEAD for KMS without a key id. */
  defaultKeyId(): string {
    return this.defaultId;
  }

  resolveForEncrypt(keyId: string | undefined): string {
    if (!this.enabled) throw notActivated();
    if (keyId === undefined || keyId === this.defaultId) return this.defaultId;
    if (keyId.trim() === '') {
      throw new OssError('InvalidArgument', 'The x-oss-server-side-encryption-key-id header must not be empty; omit it to use the default managed key.', { ArgumentName: 'x-oss-server-side-encryption-key-id' }, KMS_EC.emptyKeyId);
    }
    const id = this.resolveName(keyId);
    if (id !== this.defaultId) this.assertUsable(id);
    return id;
  }

  /**
   * A key id, an alias (`alias/…`) or an ARN → the key id OSS seals with and reports in
   * x-oss-server-side-encryption-key-id (the id, not the name the request used). An ARN of another region or
   * account names no key here (KeyNotFound); an unknown alias → 404 AliasNotFound.
   */
  private resolveName(name: string): string {
    let ref = name;
    const arn = ARN.exec(name);
    if (arn) {
      if (arn[1] !== this.region || arn[2] !== this.accountId) {
        throw new OssError('KeyNotFound', `The KMS key ${name} is not in region ${this.region} of account ${this.accountId}.`, {}, KMS_EC.notFound);
      }
      ref = arn[3]!.startsWith('key/') ? arn[3]!.slice('key/'.length) : arn[3]!;
    }
    if (!ref.startsWith('alias/')) return ref;
    if (ref === DEFAULT_KEY_ALIAS) return this.defaultId;
    const id = this.aliases.get(ref);
    if (id === undefined) throw new OssError('AliasNotFound', `The KMS alias ${ref} does not exist.`);
    return id;
  }

  /**
   * Checks that a KMS-sealed object can be decrypted now. KMS refuses Decrypt with a Disabled or PendingDeletion key
   * (KMS "Impact of CMK status on API operations"), and OSS answers reads of such objects with the same 409s as
   * writes (help.aliyun.com/en/oss/user-guide/0005-00000214, …215). undefined = SSE-OSS (AES256/SM4): always fine.
   */
  checkForDecrypt(keyId: string | undefined): void {
    if (keyId === undefined) return;
    if (!this.enabled) throw notActivated();
    if (keyId !== this.defaultId) this.assertUsable(keyId);
  }

  /** Checks that new data can be sealed with an already chosen key now (a multipart upload's key, for each part). */
  checkForEncrypt(keyId: string | undefined): void {
    this.checkForDecrypt(keyId);
  }

  private assertUsable(keyId: string): void {
    const state = this.keys.get(keyId);
    if (state === undefined) throw new OssError('KeyNotFound', `The specified parameter KMS keyId ${keyId} is not found.`, {}, KMS_EC.notFound);
    if (state === 'Disabled') throw new OssError('KeyDisabled', `The request was rejected because the key state of ${keyId} is Disabled.`, {}, KMS_EC.disabled);
    if (state === 'PendingDeletion') throw new OssError('KeyPendingDeletion', `The request was rejected because the key state of ${keyId} is PendingDeletion.`, {}, KMS_EC.pendingDeletion);
    if (state === 'PendingImport') throw new OssError('KeyPendingImport', `The request was rejected because the key state of ${keyId} is PendingImport.`);
  }

  wrap(dataKey: Buffer, keyId?: string): Buffer {
    const aad = Buffer.from(keyId === undefined ? 'sse-oss' : `cmk:${keyId}`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.material(keyId), iv);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([Buffer.from([WRAP_VERSION]), iv, cipher.getAuthTag(), body]);
  }

  unwrap(wrapped: Buffer, keyId?: string): Buffer {
    if (wrapped.length < 1 + IV_BYTES + TAG_BYTES || wrapped[0] !== WRAP_VERSION) {
      throw new RangeError('not a data key wrapped by this KMS (bad length or version)');
    }
    const aad = Buffer.from(keyId === undefined ? 'sse-oss' : `cmk:${keyId}`);
    const iv = wrapped.subarray(1, 1 + IV_BYTES);
    const tag = wrapped.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.material(keyId), iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(wrapped.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new RangeError(`cannot unwrap data key with ${keyId === undefined ? 'the service master key' : `KMS key ${keyId}`}: wrong key or corrupted`);
    }
  }

  /** 32 bytes of key material for a CMK (or the SSE-OSS service key when undefined). */
  private material(keyId: string | undefined): Buffer {
    return createHmac('sha256', this.masterSecret).update(keyId === undefined ? 'sse-oss' : `cmk:${keyId}`).digest();
  }
}

function notActivated(): OssError {
  return new OssError('KmsServiceNotEnabled', 'KMS is not activated for this account; activate it (local OSS: kms.enabled = true) or use AES256/SM4.', {}, KMS_EC.notActivated);
}

function assertState(state: string): asserts state is KmsKeyState {
  if (!STATES.includes(state as KmsKeyState)) {
    throw new RangeError(`invalid KMS key state "${state}"; use one of ${STATES.join(', ')}`);
  }
}

/** A UUID-shaped id, stable for (region, account) so HEAD reports the same default key across restarts. */
function deriveDefaultKeyId(region: string, accountId: string): string {
  const h = createHmac('sha256', 'local-oss-default-kms-key').update(`${region}/${accountId}`).digest('hex');
  // Version-4 layout (…-4xxx-[89ab]xxx-…) so it looks like the real thing.
  const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
