import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointWriter, assertResumable, readCheckpoint, writeCheckpoint, type CheckpointState } from '../../src/backfill/checkpoint';
import { CheckpointError } from '../../src/backfill/errors';

const state = (over: Partial<CheckpointState> = {}): CheckpointState => ({
  version: 2,
  source: { kind: 'list', bucket: 'b', prefix: '' },
  mode: 'local',
  dryRun: false,
  report: null,
  startedAt: new Date(0).toISOString(),
  position: { ordinal: 3, key: 'c' },
  inFlight: ['d'],
  reservedUpTo: 67,
  counts: { seen: 5, encrypted: 2, skipped: 2, failed: 0, dispatched: 0 },
  reportBytes: 120,
  complete: false,
  updatedAt: new Date(0).toISOString(),
  ...over,
});

describe('checkpoint file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bf-cp-'));

  it('round-trips and leaves no temp file behind', async () => {
    const f = join(dir, 'a.json');
    await writeCheckpoint(f, state());
    expect(await readCheckpoint(f)).toEqual(state());
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  it('is undefined when the file does not exist', async () => {
    expect(await readCheckpoint(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('refuses garbage, foreign JSON and truncated files with the file name and a hint', async () => {
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{"version":1,"sou');
    await expect(readCheckpoint(f)).rejects.toThrow(CheckpointError);
    await expect(readCheckpoint(f)).rejects.toThrow(/bad\.json is not valid JSON/);
    writeFileSync(f, JSON.stringify({ hello: 'world' }));
    const err = await readCheckpoint(f).catch((e: unknown) => e as CheckpointError);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('CHECKPOINT_INVALID');
    expect((err as CheckpointError).message).toMatch(/not a backfill checkpoint: version is undefined.*position is missing/);
  });

  it('refuses to resume for another bucket, prefix, mode or dry-run setting', () => {
    const cp = state();
    expect(() => assertResumable('f', cp, { source: { kind: 'list', bucket: 'b', prefix: '' }, mode: 'local', dryRun: false, report: null })).not.toThrow();
    expect(() => assertResumable('f', cp, { source: { kind: 'list', bucket: 'other', prefix: '' }, mode: 'local', dryRun: false, report: null })).toThrow(/belongs to bucket "b" prefix "", not bucket "other"/);
    expect(() => assertResumable('f', cp, { source: { kind: 'list', bucket: 'b', prefix: 'x/' }, mode: 'local', dryRun: false, report: null })).toThrow(CheckpointError);
    expect(() => assertResumable('f', cp, { source: { kind: 'list', bucket: 'b', prefix: '' }, mode: 'fanout', dryRun: false, report: null })).toThrow(/local run/);
    expect(() => assertResumable('f', cp, { source: { kind: 'list', bucket: 'b', prefix: '' }, mode: 'local', dryRun: true, report: null })).toThrow(/real run/);
  });

  it('coalesces saves and always writes the latest state on flush', async () => {
    const f = join(dir, 'w.json');
    let n = 0;
    const w = new CheckpointWriter(f, () => state({ position: { ordinal: ++n, key: String(n) } }), 60_000);
    for (let i = 0; i < 100; i++) w.touch();
    await w.flush();
    expect(w.writes).toBe(1);
    expect(JSON.parse(readFileSync(f, 'utf8')).position.ordinal).toBe(n);
  });

  it('reports an unwritable location', async () => {
    const w = new CheckpointWriter(join(dir, 'no', 'such', 'dir', 'cp.json'), () => state());
    await expect(w.flush()).rejects.toThrow(/cannot be written.*writable/);
  });
});
