/**
 * The at-rest cipher of one sealed blob: a fresh random data key per blob, CTR mode (AES-256-CTR, or SM4-CTR for
 * SM4 and KMS with SM4 data encryption), the data key wrapped by the KMS (CMK material for KMS seals, the service
 * master key for AES256/SM4). CTR keeps ranged reads cheap: block n starts at counter iv+n.
 */
import { createCipheriv, createDecipheriv, randomBytes, type Cipher, type Decipher } from 'node:crypto';
import type { Kms } from '../kms';

export interface Seal {
  algorithm: 'AES256' | 'SM4' | 'KMS';
  /** Already resolved by Kms.resolveForEncrypt (the default key id for "KMS without key id"). */
  kmsKeyId?: string;
  dataEncryption?: 'SM4';
}

/** What a sealed blob's header records to decrypt it again (JSON-serialisable). */
export interface SealHeader {
  seal: Seal;
  cipher: 'aes-256-ctr' | 'sm4-ctr';
  /** base64 of the data key wrapped by Kms.wrap. */
  wrappedKey: string;
  /** base64 of the 16-byte initial counter block. */
  iv: string;
}

const BLOCK = 16;

export function validateSeal(seal: Seal): void {
  if (seal.algorithm !== 'AES256' && seal.algorithm !== 'SM4' && seal.algorithm !== 'KMS') {
    throw new RangeError(`unknown seal algorithm "${String(seal.algorithm)}"; use AES256, SM4 or KMS`);
  }
  if (seal.algorithm === 'KMS' && !seal.kmsKeyId) {
    throw new RangeError('a KMS seal needs kmsKeyId resolved by Kms.resolveForEncrypt (the default key id when none was given)');
  }
  if (seal.algorithm !== 'KMS' && seal.kmsKeyId !== undefined) {
    throw new RangeError(`kmsKeyId only goes with algorithm KMS, not ${seal.algorithm}`);
  }
  if (seal.dataEncryption !== undefined && (seal.dataEncryption !== 'SM4' || seal.algorithm !== 'KMS')) {
    throw new RangeError('dataEncryption SM4 only goes with algorithm KMS');
  }
}

/** Makes a new data key for `seal`, wraps it, and returns the header plus an encrypting cipher from offset 0. */
export function newSealedWriter(seal: Seal, kms: Kms): { header: SealHeader; cipher: Cipher } {
  validateSeal(seal);
  const sm4 = seal.algorithm === 'SM4' || seal.dataEncryption === 'SM4';
  const cipherName = sm4 ? 'sm4-ctr' : 'aes-256-ctr';
  const dataKey = randomBytes(sm4 ? 16 : 32);
  const iv = randomBytes(BLOCK);
  const wrapped = kms.wrap(dataKey, seal.algorithm === 'KMS' ? seal.kmsKeyId : undefined);
  const header: SealHeader = { seal: { ...seal }, cipher: cipherName, wrappedKey: wrapped.toString('base64'), iv: iv.toString('base64') };
  return { header, cipher: createCipheriv(cipherName, dataKey, iv) };
}

/** A decipher positioned at plaintext byte `offset`; the caller must drop the first `skip` output bytes. */
export function sealedReaderAt(header: SealHeader, kms: Kms, offset: number): { decipher: Decipher; blockStart: number; skip: number } {
  const dataKey = kms.unwrap(Buffer.from(header.wrappedKey, 'base64'), header.seal.algorithm === 'KMS' ? header.seal.kmsKeyId : undefined);
  const block = Math.floor(offset / BLOCK);
  const iv = addToCounter(Buffer.from(header.iv, 'base64'), block);
  return { decipher: createDecipheriv(header.cipher, dataKey, iv), blockStart: block * BLOCK, skip: offset - block * BLOCK };
}

/** The 128-bit big-endian counter block plus n, wrapping as OpenSSL's CTR increment does. */
export function addToCounter(iv: Buffer, n: number): Buffer {
  const out = Buffer.from(iv);
  let carry = BigInt(n);
  for (let i = BLOCK - 1; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(out[i]!) + (carry & 0xffn);
    out[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return out;
}
