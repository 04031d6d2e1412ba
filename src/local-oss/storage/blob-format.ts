/**
 * The stored form of one blob, the same in memory and on disk:
 *   "LOSSBLOB" | uint32 BE header length | header JSON | data (ciphertext when sealed).
 * Keeping the wrapped data key and IV in the blob itself makes each blob file self-describing, so a restart needs
 * no index to decrypt it.
 */
import type { SealHeader } from './seal-cipher';

export const MAGIC = Buffer.from('LOSSBLOB');
export const PREFIX_BYTES = MAGIC.length + 4;

export interface BlobHeader {
  v: 1;
  sealed?: SealHeader;
}

export function encodeHeader(header: BlobHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, len, json]);
}

/** Reads the header length from the first PREFIX_BYTES bytes. */
export function headerLength(prefix: Buffer, where: string): number {
  if (prefix.length < PREFIX_BYTES || !prefix.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error(`${where} is not a local OSS blob (bad magic); the data directory may be corrupted`);
  }
  return prefix.readUInt32BE(MAGIC.length);
}

export function decodeHeader(json: Buffer, where: string): BlobHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch {
    throw new Error(`${where} has an unreadable header; the data directory may be corrupted`);
  }
  if (typeof parsed !== 'object' || parsed === null || (parsed as BlobHeader).v !== 1) {
    throw new Error(`${where} has an unsupported header version`);
  }
  return parsed as BlobHeader;
}
