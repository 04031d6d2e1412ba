/**
 * The audit report: one row per object (key, outcome, reason, algorithm, key id, size, error), as CSV
 * (RFC 4180) or JSON lines, chosen by `format` or by the file extension (.csv → CSV, else JSON lines).
 * Rows are buffered and written with synchronous appends, so `flush()` returns the exact byte length
 * that holds every row handed in so far; the checkpoint stores that length and a resumed run truncates
 * the file to it (see checkpoint.ts), which keeps exactly one row per object across a kill and resume.
 */
import { closeSync, ftruncateSync, fstatSync, openSync, writeSync } from 'node:fs';
import { ReportError } from './errors';

export type ReportFormat = 'csv' | 'jsonl';

export interface ReportRow {
  key: string;
  outcome: string;
  reason: string;
  algorithm?: string;
  kmsKeyId?: string;
  size?: number;
  error?: string;
}

export const REPORT_COLUMNS = ['key', 'outcome', 'reason', 'algorithm', 'kmsKeyId', 'size', 'error'] as const;

export function reportFormatFor(file: string, format?: ReportFormat): ReportFormat {
  if (format) return format;
  return /\.csv$/i.test(file) ? 'csv' : 'jsonl';
}

function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatRow(row: ReportRow, format: ReportFormat): string {
  if (format === 'csv') return REPORT_COLUMNS.map((c) => csvField(row[c])).join(',') + '\n';
  const o: Record<string, string | number> = {};
  for (const c of REPORT_COLUMNS) if (row[c] !== undefined) o[c] = row[c] as string | number;
  return JSON.stringify(o) + '\n';
}

export class ReportWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private written: number;
  rows = 0;

  private constructor(readonly file: string, readonly format: ReportFormat, fd: number, written: number) {
    this.fd = fd;
    this.written = written;
  }

  /**
   * Fresh run: creates or empties the file (and writes the CSV header). Resume: keeps the first
   * `resumeAtBytes` bytes and drops anything after them (rows of objects the checkpoint did not count).
   */
  static open(file: string, opts: { format?: ReportFormat; resumeAtBytes?: number | null } = {}): ReportWriter {
    const format = reportFormatFor(file, opts.format);
    const resume = opts.resumeAtBytes ?? null;
    let fd: number;
    try {
      fd = openSync(file, resume === null ? 'w' : 'r+');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (resume !== null && code === 'ENOENT') {
        throw new ReportError(file, `is missing but the checkpoint says it held ${resume} bytes of rows; restore it, or start over without the checkpoint`);
      }
      throw new ReportError(file, `cannot be opened (${(err as Error).message})`);
    }
    if (resume !== null) {
      const size = fstatSync(fd).size;
      if (size < resume) {
        closeSync(fd);
        throw new ReportError(file, `is shorter (${size} bytes) than the checkpoint recorded (${resume} bytes); it was changed since, so restore it or start over without the checkpoint`);
      }
      ftruncateSync(fd, resume);
      return new ReportWriter(file, format, fd, resume);
    }
    const w = new ReportWriter(file, format, fd, 0);
    if (format === 'csv') {
      w.buffer.push(REPORT_COLUMNS.join(',') + '\n');
      w.flush();
    }
    return w;
  }

  add(row: ReportRow): void {
    const line = formatRow(row, this.format);
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    this.rows += 1;
    if (this.bufferedBytes >= 64 * 1024) this.flush();
  }

  /** Writes buffered rows; returns the file's length, which now holds every row added so far. */
  flush(): number {
    if (this.buffer.length === 0) return this.written;
    const data = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.bufferedBytes = 0;
    let off = 0;
    while (off < data.length) off += writeSync(this.fd, data, off, data.length - off, this.written + off);
    this.written += data.length;
    return this.written;
  }

  close(): number {
    const n = this.flush();
    closeSync(this.fd);
    return n;
  }
}
