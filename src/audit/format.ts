/** Number formatting shared by the terminal and HTML renderings (one place, so both show the same figures). */

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

export const formatCount = (n: number): string => n.toLocaleString('en-US');

/** Share as a percentage with one decimal; '–' when there is nothing to divide. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return '–';
  return `${((part / whole) * 100).toFixed(1)}%`;
}

export function formatSeconds(s: number): string {
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Encrypted share of a row's bytes (0..1), or of its objects when it has no bytes. */
export function coverage(r: { bytes: number; encryptedBytes: number; objects: number; encryptedObjects: number }): number {
  if (r.bytes > 0) return r.encryptedBytes / r.bytes;
  return r.objects > 0 ? r.encryptedObjects / r.objects : 1;
}
