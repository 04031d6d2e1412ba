/**
 * The audit report: one row per object (key, outcome, reason, algorithm, key id, size, error), as CSV
 * (RFC 4180: CRLF line ends, fields quoted when they hold `"` `,` CR or LF) or JSON lines, chosen by
 * `format` or by the file extension (.csv → CSV, else JSON lines).
 *
 * CSV cells are opened in spreadsheets, and a key such as `=cmd|' /C calc'!A0` must not become a
 * formula (OWASP "CSV injection"): a cell that starts with `=` `+` `-` `@` (also full-width, also after leading
 * whitespace), tab, CR or LF gets a leading
 * `'`, and so does one that already starts with `'`, so the rule is reversible: drop one leading `'`
 * from a CSV cell that has one to get the exact value. JSON lines carry exact keys.
 *
 * Rows are buffered and written with synchronous positioned writes, so `flush()` returns the exact
 * byte length that holds every row handed in so far; the checkpoint stores that length and a resumed
 * run truncates the file to it (see checkpoint.ts), which keeps exactly one row per object across a
 * kill and resume. Rows are flushed at least once a second, so a full disk is found within a second;
 * a write failure is a ReportError naming this file.
 */
import { closeSync, ftruncateSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';
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
const CRLF = '\r\n';
const FLUSH_EVERY_MS = 1000;

export function reportFormatFor(file: string, format?: ReportFormat): ReportFormat {
  if (format) return format;
  return /\.csv$/i.test(file) ? 'csv' : 'jsonl';
}

/**
 * A cell a spreadsheet may run as a formula: one starting with `=` `+` `-` `@` (or their full-width forms, which some
 * spreadsheets fold), tab, CR or LF, or with whitespace and then one of those (spreadsheets trim leading spaces).
 */
const FORMULA_START = /^(?:[\t\r\n']|\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/;

function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatRow(row: ReportRow, format: ReportFormat): string {
  if (format === 'csv') return REPORT_COLUMNS.map((c) => csvField(row[c])).join(',') + CRLF;
  const o: Record<string, string | number> = {};
  for (const c of REPORT_COLUMNS) if (row[c] !== undefined) o[c] = row[c] as string | number;
  return JSON.stringify(o) + '\n';
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC') return 'cannot be written: the disk is full (ENOSPC); free space or pass a --report on another disk';
  if (e.code === 'EFBIG') return 'cannot be written: the file size limit was reached (EFBIG); raise the limit (ulimit -f) or pass a --report on another disk';
  return `cannot be written (${e.message}); pass a --report path in a writable directory`;
}

/**
 * Checked before anything is locked, sent or processed. The report must be a regular file: it is written at
 * positions and cut back on resume, which a pipe or a device (/dev/stdout, /dev/full) cannot do. A fresh run
 * (`fresh` given) does not empty a report that holds rows unless told to: they may be another run's audit trail.
 */
export function checkReportTarget(file: string, fresh?: { overwrite: boolean }): void {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ReportError(file, `cannot be checked (${(err as Error).message}); pass a --report path in a writable directory`);
  }
  if (!st.isFile()) throw new ReportError(file, 'is not a regular file (a pipe, a device or a directory): the report is written at positions and cut back on resume, so pass the path of a file');
  if (fresh && !fresh.overwrite && st.size > 0) {
    throw new ReportError(file, `already exists and holds ${st.size} bytes; a run without a checkpoint to resume does not overwrite it: pass another --report path, resume the run that wrote it with its --checkpoint, or pass --overwrite-report to replace it`);
  }
}

export class ReportWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private written: number;
  private lastFlushAt = Date.now();
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
      throw new ReportError(file, `cannot be opened (${(err as Error).message}); pass a --report path in a writable directory`);
    }
    if (resume !== null) {
      const size = fstatSync(fd).size;
      if (size < resume) {
        closeSync(fd);
        throw new ReportError(file, `is shorter (${size} bytes) than the checkpoint recorded (${resume} bytes); it was changed since, so restore it or start over without the checkpoint`);
      }
      try {
        ftruncateSync(fd, resume);
      } catch (err) {
        closeSync(fd);
        throw new ReportError(file, `cannot be cut back to the ${resume} bytes the checkpoint recorded (${(err as Error).message}); pass the report's regular file`);
      }
      return new ReportWriter(file, format, fd, resume);
    }
    const w = new ReportWriter(file, format, fd, 0);
    if (format === 'csv') {
      w.buffer.push(REPORT_COLUMNS.join(',') + CRLF);
      try {
        w.flush();
      } catch (err) {
        closeSync(fd);
        throw err;
      }
    }
    return w;
  }

  add(row: ReportRow): void {
    const line = formatRow(row, this.format);
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    this.rows += 1;
    // The first row at once: a file that cannot take it stops the run after the objects then in flight, not a second later.
    if (this.rows === 1 || this.bufferedBytes >= 64 * 1024 || Date.now() - this.lastFlushAt >= FLUSH_EVERY_MS) this.flush();
  }

  /** Writes buffered rows; returns the file's length, which now holds every row added so far. */
  flush(): number {
    this.lastFlushAt = Date.now();
    if (this.buffer.length === 0) return this.written;
    const data = Buffer.from(this.buffer.join(''), 'utf8');
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off, this.written + off);
    } catch (err) {
      // The rows stay buffered and `written` unchanged: a checkpoint never counts rows that are not on disk.
      throw new ReportError(this.file, why(err));
    }
    this.buffer = [];
    this.bufferedBytes = 0;
    this.written += data.length;
    return this.written;
  }

  close(): number {
    try {
      return this.flush();
    } finally {
      closeSync(this.fd);
    }
  }

  /** Closes without writing (after a write failure). */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
