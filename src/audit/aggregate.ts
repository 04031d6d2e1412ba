/**
 * Coverage figures, folded one object at a time so a 100,000-row inventory costs a few maps, not a list.
 *
 * Every object of the population is `counted` (key, size, storage class: a listing or an inventory knows them);
 * its encryption is `observed` for all of them (inventory, HEAD per object) or for a uniform sample (`--sample N`).
 * The totals' encrypted/plaintext figures are the observed ratio applied to the counted totals (a ratio
 * estimator), which is exact when every object was observed; each group starts from its own observed ratio and is
 * fitted so the groups of a breakdown add up to the totals. Estimates are whole numbers whose parts add to the whole.
 */
import { prefixOf } from './prefix';
import { apportion, fitTable } from './apportion';

/** Storage classes whose objects must be restored before they can be copied (same list as the function's decide). */
export const ARCHIVE_CLASSES = ['Archive', 'ColdArchive', 'DeepColdArchive'];

export type EncryptionState = 'encrypted' | 'plaintext' | 'unknown';

export interface Observation {
  state: EncryptionState;
  /** 'AES256', 'SM4', 'KMS' or 'KMS+SM4', when a HEAD said it (an inventory never does). */
  algorithm?: string;
  kmsKeyId?: string;
}

export interface AuditObject {
  key: string;
  size: number;
  storageClass: string;
}

/** One row of a breakdown. `exact` is false when the encryption figures are estimated from a sample. */
export interface CoverageRow {
  name: string;
  objects: number;
  bytes: number;
  encryptedObjects: number;
  encryptedBytes: number;
  plaintextObjects: number;
  plaintextBytes: number;
  /** Objects whose encryption is not known (a HEAD failed, or none of the group was sampled). */
  unknownObjects: number;
  unknownBytes: number;
  exact: boolean;
}

interface Cell {
  objects: number;
  bytes: number;
  seen: number;
  seenBytes: number;
  enc: number;
  encBytes: number;
  plain: number;
  plainBytes: number;
}

const cell = (): Cell => ({ objects: 0, bytes: 0, seen: 0, seenBytes: 0, enc: 0, encBytes: 0, plain: 0, plainBytes: 0 });

function exactRow(name: string, c: Cell): CoverageRow {
  return {
    name, objects: c.objects, bytes: c.bytes,
    encryptedObjects: c.enc, encryptedBytes: c.encBytes, plaintextObjects: c.plain, plaintextBytes: c.plainBytes,
    unknownObjects: c.objects - c.enc - c.plain, unknownBytes: c.bytes - c.encBytes - c.plainBytes, exact: true,
  };
}

/** Observed shares [encrypted, plaintext, unknown] of a cell, by count and by bytes. */
function shares(c: Cell): { objects: number[]; bytes: number[] } {
  const byCount = c.seen > 0 ? [c.enc / c.seen, c.plain / c.seen, (c.seen - c.enc - c.plain) / c.seen] : [0, 0, 1];
  const byBytes = c.seenBytes > 0 ? [c.encBytes / c.seenBytes, c.plainBytes / c.seenBytes, (c.seenBytes - c.encBytes - c.plainBytes) / c.seenBytes] : byCount;
  return { objects: byCount, bytes: byBytes };
}

const rowOf = (name: string, c: Cell, objects: number[], bytes: number[]): CoverageRow => ({
  name, objects: c.objects, bytes: c.bytes,
  encryptedObjects: objects[0] as number, plaintextObjects: objects[1] as number, unknownObjects: objects[2] as number,
  encryptedBytes: bytes[0] as number, plaintextBytes: bytes[1] as number, unknownBytes: bytes[2] as number,
  exact: false,
});

/** A cell on its own: exact when all of it was observed, else its observed shares applied to its totals, in whole numbers that add up. */
function row(name: string, c: Cell): CoverageRow {
  if (c.seen === c.objects) return exactRow(name, c);
  const sh = shares(c);
  return rowOf(name, c, apportion(c.objects, sh.objects), apportion(c.bytes, sh.bytes));
}

/**
 * The groups of one breakdown, consistent with the totals: fully observed groups are exact; the others start from
 * their own observed shares (a group none of whose objects was sampled starts from the overall shares) and are
 * fitted so that every column adds up to the totals, in whole numbers.
 */
function groupRows(m: Map<string, Cell>, total: CoverageRow, totalCell: Cell): CoverageRow[] {
  const entries = [...m.entries()];
  const exact = entries.filter(([, c]) => c.seen === c.objects).map(([k, c]) => exactRow(k, c));
  const est = entries.filter(([, c]) => c.seen !== c.objects);
  if (est.length === 0) return exact;
  const overall = shares(totalCell);
  const left = (f: (r: CoverageRow) => number) => f(total) - exact.reduce((s, r) => s + f(r), 0);
  const fit = (kind: 'objects' | 'bytes', cols: number[]) =>
    fitTable(
      est.map(([, c]) => {
        const sh = c.seen > 0 ? shares(c)[kind] : overall[kind];
        return sh.map((x) => x * (kind === 'objects' ? c.objects : c.bytes));
      }),
      est.map(([, c]) => (kind === 'objects' ? c.objects : c.bytes)),
      cols,
    );
  const objs = fit('objects', [left((r) => r.encryptedObjects), left((r) => r.plaintextObjects), left((r) => r.unknownObjects)]);
  const bytes = fit('bytes', [left((r) => r.encryptedBytes), left((r) => r.plaintextBytes), left((r) => r.unknownBytes)]);
  return [...exact, ...est.map(([k, c], i) => rowOf(k, c, objs[i] as number[], bytes[i] as number[]))];
}

/** Largest plaintext first (bytes, then objects), then name. */
export const byPlaintext = (a: CoverageRow, b: CoverageRow) =>
  b.plaintextBytes - a.plaintextBytes || b.plaintextObjects - a.plaintextObjects || b.bytes - a.bytes || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export interface Breakdowns {
  totals: CoverageRow;
  byPrefix: CoverageRow[];
  byStorageClass: CoverageRow[];
  /** Observed objects per algorithm ('none' = plaintext); scaled to the population when sampled. Null when the source never says. */
  byAlgorithm: CoverageRow[] | null;
  byKmsKey: CoverageRow[] | null;
}

export class CoverageAccumulator {
  private readonly total = cell();
  private readonly prefixes = new Map<string, Cell>();
  private readonly classes = new Map<string, Cell>();
  private readonly algorithms = new Map<string, Cell>();
  private readonly kmsKeys = new Map<string, Cell>();
  private algorithmKnown = false;
  /** Copy requests a backfill would make for the observed plaintext objects (multipart objects cost more than one). */
  private plainCopyRequests = 0;
  /** Observed plaintext objects in an archive class: a backfill skips them (archive-not-restored) unless restored. */
  private plainArchived = 0;

  constructor(private readonly depth: number, private readonly copyRequestsFor: (size: number) => number = () => 1) {}

  private cellsOf(o: AuditObject): Cell[] {
    const get = (m: Map<string, Cell>, k: string) => {
      let c = m.get(k);
      if (!c) m.set(k, (c = cell()));
      return c;
    };
    return [this.total, get(this.prefixes, prefixOf(o.key, this.depth)), get(this.classes, o.storageClass || 'Standard')];
  }

  /** An object of the population (listing row or inventory row). */
  count(o: AuditObject): void {
    for (const c of this.cellsOf(o)) {
      c.objects += 1;
      c.bytes += o.size;
    }
  }

  /** What is known about a counted object's encryption. */
  observe(o: AuditObject, obs: Observation): void {
    for (const c of this.cellsOf(o)) {
      c.seen += 1;
      c.seenBytes += o.size;
      if (obs.state === 'encrypted') {
        c.enc += 1;
        c.encBytes += o.size;
      } else if (obs.state === 'plaintext') {
        c.plain += 1;
        c.plainBytes += o.size;
      }
    }
    if (obs.state === 'plaintext') {
      if (ARCHIVE_CLASSES.includes(o.storageClass)) this.plainArchived += 1;
      else this.plainCopyRequests += this.copyRequestsFor(o.size);
    }
    if (obs.state === 'unknown') return;
    if (obs.state === 'plaintext' || obs.algorithm) {
      if (obs.algorithm) this.algorithmKnown = true;
      const put = (m: Map<string, Cell>, k: string) => {
        let c = m.get(k);
        if (!c) m.set(k, (c = cell()));
        c.objects += 1;
        c.bytes += o.size;
        c.seen += 1;
        c.seenBytes += o.size;
        if (obs.state === 'encrypted') {
          c.enc += 1;
          c.encBytes += o.size;
        } else {
          c.plain += 1;
          c.plainBytes += o.size;
        }
      };
      put(this.algorithms, obs.state === 'plaintext' ? 'none' : (obs.algorithm as string));
      if (obs.kmsKeyId) put(this.kmsKeys, obs.kmsKeyId);
    }
  }

  /** The source says the algorithm of every encrypted object (a HEAD does): build the breakdown even if none is encrypted. */
  statesAlgorithms(): void {
    this.algorithmKnown = true;
  }

  /** Copy requests for the plaintext part of the population (scaled from the sample when sampled). */
  copyRequests(): number {
    return this.scaleUp(this.plainCopyRequests);
  }

  /** Plaintext objects in Archive, ColdArchive or DeepColdArchive (scaled from the sample when sampled). */
  archivedPlaintext(): number {
    return this.scaleUp(this.plainArchived);
  }

  private scaleUp(n: number): number {
    const t = this.total;
    return t.seen === t.objects || t.seen === 0 ? n : Math.round((n * t.objects) / t.seen);
  }

  result(): Breakdowns {
    const scale = this.total.seen > 0 ? this.total.objects / this.total.seen : 0;
    const scaleBytes = this.total.seenBytes > 0 ? this.total.bytes / this.total.seenBytes : 0;
    // Algorithm and KMS key groups exist only among observed objects: scale them like the totals.
    const scaled = (m: Map<string, Cell>) =>
      [...m.entries()].map(([k, c]) => {
        if (scale === 1) return row(k, c);
        const s: Cell = { ...c, objects: Math.round(c.objects * scale), bytes: Math.round(c.bytes * scaleBytes) };
        return row(k, s);
      });
    const totals = row('total', this.total);
    const rows = (m: Map<string, Cell>) => groupRows(m, totals, this.total).sort(byPlaintext);
    return {
      totals,
      byPrefix: rows(this.prefixes),
      byStorageClass: rows(this.classes),
      byAlgorithm: this.algorithmKnown ? scaled(this.algorithms).sort((a, b) => b.objects - a.objects || (a.name < b.name ? -1 : 1)) : null,
      byKmsKey: this.algorithmKnown ? scaled(this.kmsKeys).sort((a, b) => b.objects - a.objects || (a.name < b.name ? -1 : 1)) : null,
    };
  }
}
