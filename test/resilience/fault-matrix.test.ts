/**
 * Fault matrix (issue #7): for every OSS operation the function uses (names as the local OSS request log has them)
 * × {http500, http503, drop, slow, drop-after (OSS acts, the answer is lost)} × {5%, 20%, 50%},
 * injected by the local OSS from a fixed seed. Per cell every object must either end encrypted with content,
 * standard headers, x-oss-meta-*, storage class, tags and ACL identical to before, or be reported failed with an
 * error code, and then a re-run (FC's async retry) completes it. No object lost or altered, no multipart upload
 * left behind (inspect.multipartUploads = ListMultipartUploads).
 *
 * Determinism: CONCURRENCY=1 and MULTIPART_CONCURRENCY=1 with one record per invocation make the request order,
 * and so the seeded fault draws, the same on every run. RETRY_MAX_ATTEMPTS=2 (default 4) so that faults at 20–50%
 * really exhaust retries and the "reported failed → re-run" path is exercised, not just the retry loop.
 */
import { diffSnapshots, takeSnapshot, type ObjectSnapshot } from '../helpers/snapshot';
import { objectSpecs, putObjects, resultOf, startWorld, type World } from './world';
import type { FaultRule } from '../../src/local-oss';

const SEED = 20261127;
const OPS = [
  'HeadObject', 'GetObjectACL', 'GetObjectTagging', 'CopyObject',
  'InitiateMultipartUpload', 'UploadPartCopy', 'CompleteMultipartUpload', 'AbortMultipartUpload',
] as const;
const KINDS: FaultRule['kind'][] = ['http500', 'http503', 'drop', 'slow', 'drop-after'];
const RATES = [0.05, 0.2, 0.5];

/**
 * AbortMultipartUpload only runs when a multipart copy fails midway, so its cells also fail UploadPartCopy
 * (not retried away: 50% per attempt) to make aborts happen.
 */
function rulesFor(op: string, kind: FaultRule['kind'], rate: number): FaultRule[] {
  const main: FaultRule = { op, kind, rate, ...(kind === 'slow' ? { delayMs: 25 } : {}) };
  return op === 'AbortMultipartUpload' ? [main, { op: 'UploadPartCopy', kind: 'http500', rate: 0.5 }] : [main];
}

interface Totals { cells: number; objects: number; faults: number; failedFirstPass: number; completedOnRerun: number; lost: number; altered: number; orphans: number; emptyGhostUploads: number }
const totals: Totals = { cells: 0, objects: 0, faults: 0, failedFirstPass: 0, completedOnRerun: 0, lost: 0, altered: 0, orphans: 0, emptyGhostUploads: 0 };
const faultsByOp: Record<string, number> = {};

/**
 * One cell: fresh bucket and objects, faults on, one invocation per object, faults off, re-run the failed ones,
 * then compare every object with its snapshot and look for leftover multipart uploads. Returns the faults injected.
 */
async function runCell(w: World, bucket: string, name: string, rules: FaultRule[], problems: string[], opts: { allowEmptyGhostUploads?: boolean; lostResponses?: boolean } = {}): Promise<number> {
  await w.oss.createBucket(bucket);
  const client = w.client(bucket);
  const objs = await putObjects(client, objectSpecs('c'));
  const before = new Map<string, ObjectSnapshot>();
  for (const o of objs) before.set(o.key, await takeSnapshot(client, o.key));

  w.oss.requestLog.clear();
  const linesBefore = w.logs.lines().length;
  w.oss.faults.set(rules, SEED);
  const first = [];
  for (const o of objs) first.push(await w.invoke(bucket, [o]));
  // Requests still sleeping in a `slow` fault finish before the faults go (they act on the server late, as lost responses do).
  await new Promise((r) => setTimeout(r, Math.max(0, ...rules.map((x) => x.delayMs ?? 0)) + 20));
  w.oss.faults.clear();
  const injected = w.oss.requestLog.entries().filter((e) => e.fault !== undefined);
  totals.faults += injected.length;
  for (const e of injected) faultsByOp[e.op] = (faultsByOp[e.op] ?? 0) + 1;
  // A request the client abandoned (timeout) is never logged by the local OSS, so lost responses are counted from
  // the function's own "retrying <operation>" warnings instead.
  const timeouts = !opts.lostResponses ? [] : w.logs.lines().slice(linesBefore).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('retrying ') && l.ossRequestId === undefined);
  totals.faults += timeouts.length;
  for (const l of timeouts) faultsByOp[`${String(l.operation)} (lost)`] = (faultsByOp[`${String(l.operation)} (lost)`] ?? 0) + 1;

  // First pass: encrypted, or failed with a code. A skip would leave a plaintext object unreported.
  const failed = [];
  for (const [i, o] of objs.entries()) {
    const r = resultOf(first[i]!, o.key);
    if (!r) { problems.push(`${name}: no result for ${o.key}`); continue; }
    if (r.outcome === 'failed') {
      if (!r.error?.code) problems.push(`${name}: ${o.key} failed without an error code`);
      failed.push(o);
    } else if (r.outcome !== 'encrypted') {
      problems.push(`${name}: ${o.key} first pass ${r.outcome}/${r.reason}`);
    }
  }
  totals.failedFirstPass += failed.length;

  // FC's async retry, faults gone: must complete every failed object (or find it already done).
  for (const o of failed) {
    const r = resultOf(await w.invoke(bucket, [o]), o.key);
    if (r?.outcome === 'failed') problems.push(`${name}: re-run of ${o.key} failed again: ${r.error?.code}`);
    else totals.completedOnRerun++;
  }

  for (const o of objs) {
    let after: ObjectSnapshot;
    try {
      after = await takeSnapshot(client, o.key);
    } catch (err) {
      totals.lost++;
      problems.push(`${name}: ${o.key} lost (${(err as Error).message})`);
      continue;
    }
    if (after.sse?.algorithm !== 'AES256') problems.push(`${name}: ${o.key} not encrypted after the re-run`);
    const diff = diffSnapshots(before.get(o.key)!, after);
    if (diff.length) {
      totals.altered++;
      problems.push(`${name}: ${o.key} altered: ${diff.join('; ')}`);
    }
  }
  let orphans = w.oss.inspect.multipartUploads(bucket);
  if (opts.allowEmptyGhostUploads) {
    // An InitiateMultipartUpload whose response was lost created an upload the function never learned the id of.
    // It holds no parts (0 bytes); aborting uploads by key could kill a user's own concurrent upload, so it is
    // left to the bucket's lifecycle rule (docs/resilience.md). Anything with parts is still an orphan.
    const ghosts = orphans.filter((u) => u.parts === 0 && objs.some((o) => o.key === u.key));
    totals.emptyGhostUploads += ghosts.length;
    orphans = orphans.filter((u) => !ghosts.includes(u));
  }
  if (orphans.length) {
    totals.orphans += orphans.length;
    problems.push(`${name}: orphaned multipart uploads ${JSON.stringify(orphans)}`);
  }
  totals.cells++;
  totals.objects += objs.length;
  return injected.length + timeouts.length;
}

afterAll(() => console.log(`all cells incl. lost responses: ${JSON.stringify(totals)}\nfaults injected by operation: ${JSON.stringify(faultsByOp)}`));

describe('fault matrix: every object ends encrypted and identical, or reported failed and completed by a re-run', () => {
  let w: World;
  let cell = 0;
  beforeAll(async () => {
    w = await startWorld({ CONCURRENCY: '1', MULTIPART_CONCURRENCY: '1', RETRY_MAX_ATTEMPTS: '2' }, { seed: SEED });
  });
  afterAll(async () => {
    await w.close();
    // The figures docs/resilience.md quotes.
    console.log(`fault matrix totals (5/20/50% cells): ${JSON.stringify(totals)}\nfaults injected by operation: ${JSON.stringify(faultsByOp)}`);
  });

  test.each(OPS)('%s faults', async (op) => {
    const problems: string[] = [];
    let opFaults = 0;
    for (const kind of KINDS) {
      for (const rate of RATES) {
        // A lost Initiate answer leaves an empty upload the function never learned of (docs/resilience.md, known limits).
        const allowEmptyGhostUploads = op === 'InitiateMultipartUpload' && kind === 'drop-after';
        opFaults += await runCell(w, `fm-${++cell}`, `${op} ${kind} ${rate * 100}%`, rulesFor(op, kind, rate), problems, { allowEmptyGhostUploads });
      }
    }
    expect(problems).toEqual([]);
    // The cells really injected faults into this operation (not a matrix of no-ops).
    expect(opFaults).toBeGreaterThan(0);
    expect(faultsByOp[op] ?? 0).toBeGreaterThan(0);
  });
});

/**
 * Lost responses: the request is held (slow) past the function's per-request timeout (OSS_TIMEOUT_MS), so the
 * client gives up and retries while the local OSS still carries the first attempt out afterwards, which is what a
 * response lost on the network looks like. 20% per operation, default retry attempts.
 */
describe('fault matrix: responses lost after OSS acted (slow beyond the client timeout)', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ CONCURRENCY: '1', MULTIPART_CONCURRENCY: '1', OSS_TIMEOUT_MS: '300' }, { seed: SEED });
  });
  afterAll(() => w.close());

  test.each(OPS)('%s responses lost at 20%%', async (op) => {
    const problems: string[] = [];
    const rules: FaultRule[] = [{ op, kind: 'slow', rate: 0.2, delayMs: 600 }];
    if (op === 'AbortMultipartUpload') rules.push({ op: 'UploadPartCopy', kind: 'http500', rate: 0.5 });
    let injected = 0;
    const allowEmptyGhostUploads = op === 'InitiateMultipartUpload';
    for (let round = 1; round <= 3; round++) {
      injected += await runCell(w, `lost-${op.toLowerCase()}-${round}`, `${op} lost response 20% #${round}`, rules, problems, { allowEmptyGhostUploads, lostResponses: true });
    }
    expect(problems).toEqual([]);
    expect(injected).toBeGreaterThan(0);
  });
});

/**
 * The edge of the matrix: the operation fails every time (100%), so retries are exhausted for sure. Each object that
 * uses the operation must be reported failed with the injected error's code, be left as it was or fully encrypted
 * (never half-done), and a re-run without the fault must complete it with nothing altered.
 */
describe('fault matrix edge: an operation that always fails', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ CONCURRENCY: '1', MULTIPART_CONCURRENCY: '1', RETRY_MAX_ATTEMPTS: '2' }, { seed: SEED });
  });
  afterAll(() => w.close());

  test.each(OPS.filter((op) => op !== 'AbortMultipartUpload'))('%s at 100%% (http500): reported failed, then completed by a re-run', async (op) => {
    const bucket = `edge-${op.toLowerCase()}`;
    await w.oss.createBucket(bucket);
    const client = w.client(bucket);
    const objs = await putObjects(client, objectSpecs('e'));
    const before = new Map<string, ObjectSnapshot>();
    for (const o of objs) before.set(o.key, await takeSnapshot(client, o.key));

    w.oss.requestLog.clear();
    w.oss.faults.set([{ op, kind: 'http500', rate: 1 }], SEED);
    const first = [];
    for (const o of objs) first.push(resultOf(await w.invoke(bucket, [o]), o.key)!);
    w.oss.faults.clear();
    const usedBy = new Set(w.oss.requestLog.entries().filter((e) => e.op === op).map((e) => e.key));
    expect(usedBy.size).toBeGreaterThan(0);
    for (const r of first) {
      if (!usedBy.has(r.key)) expect(r.outcome).toBe('encrypted');
      else expect(r).toMatchObject({ outcome: 'failed', error: { code: 'OSS_InternalError' } });
    }

    for (const r of first.filter((x) => x.outcome === 'failed')) {
      const again = resultOf(await w.invoke(bucket, [objs.find((o) => o.key === r.key)!]), r.key)!;
      expect(again.outcome).not.toBe('failed');
    }
    for (const o of objs) {
      const after = await takeSnapshot(client, o.key);
      const b = before.get(o.key)!;
      // The ACL travels on CompleteMultipartUpload now, so no failure leaves one behind (docs/resilience.md).
      expect({ key: o.key, sse: after.sse?.algorithm, diff: diffSnapshots(b, after) }).toEqual({ key: o.key, sse: 'AES256', diff: [] });
    }
    expect(w.oss.inspect.multipartUploads(bucket)).toEqual([]);
  });
});

/**
 * CompleteMultipartUpload carried out by OSS while every response to it is lost (`drop-after`: the local OSS acts,
 * then closes the connection instead of answering): the function cannot see the
 * success, and its Abort finds the upload gone. Only our own Complete can have consumed our upload id, so the
 * object is finished: its ACL must still be put back and the object reported encrypted (a re-run could not:
 * the new multipart ETag makes the event look `replaced`).
 */
describe('fault matrix edge: CompleteMultipartUpload done but its responses lost', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ CONCURRENCY: '1', MULTIPART_CONCURRENCY: '1', RETRY_MAX_ATTEMPTS: '2' }, { seed: SEED });
  });
  afterAll(() => w.close());

  test('the object ends encrypted with its ACL, tags and metadata; no upload left', async () => {
    const bucket = 'lost-complete';
    await w.oss.createBucket(bucket);
    const client = w.client(bucket);
    const objs = await putObjects(client, objectSpecs('lc').filter((s) => s.key.includes('big')));
    const before = new Map<string, ObjectSnapshot>();
    for (const o of objs) before.set(o.key, await takeSnapshot(client, o.key));
    w.oss.requestLog.clear();
    w.oss.faults.set([{ op: 'CompleteMultipartUpload', kind: 'drop-after', rate: 1 }], SEED);
    const results = [];
    for (const o of objs) results.push(resultOf(await w.invoke(bucket, [o]), o.key)!);
    // The first Complete took effect (200), the retry found the upload gone (404), neither answer arrived.
    expect(w.oss.requestLog.entries().filter((e) => e.op === 'CompleteMultipartUpload').map((e) => [e.status, e.fault])).toEqual(
      objs.flatMap(() => [[200, 'drop-after'], [404, 'drop-after']]),
    );
    w.oss.faults.clear();
    for (const r of results) expect({ outcome: r.outcome, method: r.method, error: r.error }).toEqual({ outcome: "encrypted", method: "multipart", error: undefined });
    for (const o of objs) {
      const after = await takeSnapshot(client, o.key);
      expect({ key: o.key, sse: after.sse?.algorithm, diff: diffSnapshots(before.get(o.key)!, after) }).toEqual({ key: o.key, sse: 'AES256', diff: [] });
    }
    expect(w.oss.inspect.multipartUploads(bucket)).toEqual([]);
  });
});
