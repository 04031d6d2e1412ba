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

/**
 * A key, prefix or other bucket-supplied name made safe for a terminal: C0 controls, DEL, C1 controls, line and
 * paragraph separators and bidirectional overrides are shown as \uXXXX. Object keys may hold any of them (an
 * inventory's URL-decoded %1B is ESC), and printed raw they could clear the screen or fake report lines.
 */
export function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`);
}
