import { randomBytes } from 'node:crypto';
import { crc64, crc64Combine } from '../../../src/local-oss/crc64';

/** Bit-at-a-time CRC-64/XZ straight from the definition, independent of the table-driven implementation. */
function reference(data: Buffer): bigint {
  const poly = 0xc96c5795d7870f42n;
  let crc = 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc ^ 0xffffffffffffffffn;
}

describe('crc64 (CRC-64/XZ, what OSS sends as x-oss-hash-crc64ecma)', () => {
  test('check value of the catalogue', () => {
    expect(crc64(Buffer.from('123456789'))).toBe(0x995dc9bbdf1939fan);
  });

  test('empty input is 0', () => {
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });

  test.each([1, 7, 255, 4096, 10_007])('matches the bit-wise definition on %i random bytes', (n) => {
    const data = randomBytes(n);
    expect(crc64(data)).toBe(reference(data));
  });

  test('streaming: crc64(b, crc64(a)) === crc64(a+b) at every split point', () => {
    const data = randomBytes(300);
    const whole = crc64(data);
    for (let i = 0; i <= data.length; i += 17) expect(crc64(data.subarray(i), crc64(data.subarray(0, i)))).toBe(whole);
  });

  test('combine equals the CRC of the concatenation', () => {
    for (const [la, lb] of [[0, 5], [5, 0], [1, 1], [1000, 3], [3, 65_537]] as const) {
      const a = randomBytes(la);
      const b = randomBytes(lb);
      expect(crc64Combine(crc64(a), crc64(b), lb)).toBe(crc64(Buffer.concat([a, b])));
    }
  });
});
