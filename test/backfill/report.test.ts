import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportWriter, formatRow, reportFormatFor } from '../../src/backfill/report';
import { ReportError } from '../../src/backfill/errors';

describe('report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bf-rep-'));

  it('picks the format from the extension unless told', () => {
    expect(reportFormatFor('a.csv')).toBe('csv');
    expect(reportFormatFor('a.CSV')).toBe('csv');
    expect(reportFormatFor('a.jsonl')).toBe('jsonl');
    expect(reportFormatFor('a.txt')).toBe('jsonl');
    expect(reportFormatFor('a.csv', 'jsonl')).toBe('jsonl');
  });

  it('quotes CSV fields that need it (RFC 4180)', () => {
    expect(formatRow({ key: 'a,"b"\nc', outcome: 'failed', reason: 'x', size: 3, error: 'E: m' }, 'csv')).toBe('"a,""b""\nc",failed,x,,,3,E: m\r\n');
    expect(JSON.parse(formatRow({ key: 'k', outcome: 'encrypted', reason: 'r', algorithm: 'KMS', kmsKeyId: 'id' }, 'jsonl'))).toEqual({ key: 'k', outcome: 'encrypted', reason: 'r', algorithm: 'KMS', kmsKeyId: 'id' });
  });

  it('neutralises CSV cells a spreadsheet would run as formulas, reversibly; JSON lines stay exact', () => {
    const cell = (key: string) => formatRow({ key, outcome: 'o', reason: 'r' }, 'csv').split(',')[0];
    expect(['=1+1', '+1', '-1', '@A1', "'x", 'plain'].map(cell)).toEqual(["'=1+1", "'+1", "'-1", "'@A1", "''x", 'plain']);
    expect(cell('\tx')).toBe("'\tx");
    expect(formatRow({ key: '\rx', outcome: 'o', reason: 'r' }, 'csv')).toBe('"\'\rx",o,r,,,,\r\n');
    expect(JSON.parse(formatRow({ key: '=1+1', outcome: 'o', reason: 'r' }, 'jsonl')).key).toBe('=1+1');
  });

  it('writes a header, and on resume truncates to the checkpointed length', () => {
    const f = join(dir, 'r.csv');
    const w = ReportWriter.open(f);
    w.add({ key: 'a', outcome: 'encrypted', reason: 'plaintext', algorithm: 'AES256', size: 1 });
    const at = w.flush();
    w.add({ key: 'b', outcome: 'skipped', reason: 'already-encrypted' });
    w.close();
    appendFileSync(f, 'partial,row'); // what a kill mid-write could leave
    const r = ReportWriter.open(f, { resumeAtBytes: at });
    r.add({ key: 'b', outcome: 'skipped', reason: 'already-encrypted' });
    r.close();
    expect(readFileSync(f, 'utf8')).toBe('key,outcome,reason,algorithm,kmsKeyId,size,error\r\na,encrypted,plaintext,AES256,,1,\r\nb,skipped,already-encrypted,,,,\r\n');
  });

  it('refuses to resume a report that is missing or shorter than recorded', () => {
    expect(() => ReportWriter.open(join(dir, 'gone.jsonl'), { resumeAtBytes: 10 })).toThrow(ReportError);
    const f = join(dir, 'short.jsonl');
    ReportWriter.open(f).close();
    expect(() => ReportWriter.open(f, { resumeAtBytes: 10 })).toThrow(/shorter \(0 bytes\) than the checkpoint recorded \(10 bytes\)/);
  });
});
