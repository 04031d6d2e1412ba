/**
 * Every hostile/malformed event in test/hostile/events/ through the real handler, against the local OSS over
 * HTTP with the real ali-oss client and STS credentials. Each entry must end in a typed error (code + message
 * saying what was wrong and what to do) or a named skip, never a bare crash, and never an OSS write; the
 * few legal-but-odd keys ("..", "%ZZ") must be encrypted as themselves and nothing else touched.
 */
import OSS from 'ali-oss';
import type { LocalOss } from '../../src/local-oss';
import { AutoEncryptError, InvocationFailedError } from '../../src/errors';
import { createHandler, type FcContext } from '../../src/function/create-handler';
import { keepDotSegments } from '../../src/oss/gateway';
import type { InvocationSummary } from '../../src/core/process';
import { startTestOss } from '../helpers/local-oss';
import { captureLogs } from '../function/log-lines';
import { ACCOUNT, BUCKET, REGION, eventEntries, payloadOf, type EventEntry } from './corpus';

const WRITE_METHODS = new Set(['PUT', 'POST', 'DELETE']);
/** What each error code must tell the user to do (beyond naming what was wrong). */
const HINTS: Record<string, RegExp> = {
  EVENT_INVALID: /Expected an OSS trigger event .* or the same record wrapped as a CloudEvent/,
  ACCOUNT_MISMATCH: /Deploy the function in that account\/region instead/,
  REGION_MISMATCH: /Deploy the function in that account\/region instead/,
  BUCKET_NOT_ALLOWED: /add it there or remove this bucket's trigger/,
};
/** No log line may balloon with hostile input (100,000 records, 50,000 keys, 100,000-deep objects). */
const MAX_LOG_LINE = 8 * 1024;

const entries = eventEntries();

let oss: LocalOss;
let client: OSS;

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET], region: REGION, accountId: ACCOUNT });
  client = new OSS({ endpoint: oss.endpoint, region: `oss-${oss.region}`, bucket: BUCKET, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret, timeout: 20_000 } as OSS.Options);
  // Seeding keys such as "a/../b" needs the same work-around the function uses (see keepDotSegments).
  keepDotSegments(client);
});
afterAll(() => oss.close());

function context(entry: EventEntry): FcContext {
  const accountId = entry.context?.accountId === null ? undefined : (entry.context?.accountId ?? oss.accountId);
  return { requestId: `hostile-${Date.now()}`, region: entry.context?.region ?? oss.region, ...(accountId ? { accountId } : {}), credentials: oss.issueStsCredentials() };
}

async function run(entry: EventEntry) {
  const logs = captureLogs();
  const handler = createHandler({
    env: { OSS_ENDPOINT: oss.endpoint, RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5', OSS_TIMEOUT_MS: '5000', ...entry.env },
    logger: logs.logger,
  });
  const bodies = new Map<string, Buffer>();
  for (const key of [...(entry.seed ?? []), ...(entry.expect.outcome === 'encrypted' ? (entry.expect.untouched ?? []) : [])]) {
    if (bodies.has(key)) continue;
    const body = Buffer.from(`content of ${key}`);
    await client.put(key, body);
    bodies.set(key, body);
  }
  const aclBefore = entry.expect.outcome === 'encrypted' && entry.seed?.[0] ? (await client.getACL(entry.seed[0])).acl : undefined;
  oss.requestLog.clear();
  let summary: InvocationSummary | undefined;
  let error: unknown;
  try {
    summary = await handler.handler(payloadOf(entry), context(entry));
  } catch (err) {
    error = err;
  }
  return { summary, error, logs, requests: oss.requestLog.entries(), bodies, aclBefore };
}

describe('hostile events: typed error or named skip, never an OSS write', () => {
  it('has at least 40 event entries, each with a name, a reason and an expected outcome', () => {
    expect(entries.length).toBeGreaterThanOrEqual(40);
    for (const e of entries) {
      expect(e.name).toEqual(expect.any(String));
      expect(e.why).toEqual(expect.any(String));
      expect(['error', 'skipped', 'failed', 'encrypted']).toContain(e.expect.outcome);
    }
  });

  it.each(entries.map((e) => [`${e.file}: ${e.name}`, e] as const))('%s', async (_title, entry) => {
    const { summary, error, logs, requests, bodies, aclBefore } = await run(entry);
    const want = entry.expect;

    // Never a crash without a message: anything thrown is one of the function's typed errors.
    if (error !== undefined) {
      expect(error).toBeInstanceOf(AutoEncryptError);
      expect((error as AutoEncryptError).code).toMatch(/^[A-Z_]+$/);
      expect((error as AutoEncryptError).message.length).toBeGreaterThan(20);
      expect((error as AutoEncryptError).message.length).toBeLessThan(MAX_LOG_LINE);
    }
    for (const line of logs.raw().split('\n')) expect(line.length).toBeLessThan(MAX_LOG_LINE);

    if (want.outcome === 'error') {
      expect(error).toBeDefined();
      const err = error as AutoEncryptError;
      expect(err.code).toBe(want.code);
      expect(err.message).toContain(want.message);
      expect(err.message).toMatch(HINTS[want.code]!);
      // Refused before any request, and said so in the log with its code.
      expect(requests).toEqual([]);
      expect(logs.lines().at(-1)).toMatchObject({ level: 'error', error: { code: want.code } });
      return;
    }

    if (want.outcome === 'failed') {
      expect(error).toBeInstanceOf(InvocationFailedError);
      const failed = (error as InvocationFailedError).summary.results;
      expect(failed.length).toBeGreaterThan(0);
      for (const r of failed) {
        expect(r).toMatchObject({ outcome: 'failed', error: { code: want.code } });
        expect(r.error!.message).toContain(want.message);
        expect(r.error!.message).toMatch(HINTS[want.code]!);
      }
      expect((error as Error).message).toContain(`(${want.code})`);
      expect(requests).toEqual([]);
      expect(logs.lines().filter((l) => l.outcome === 'failed')).toHaveLength(failed.length);
      return;
    }

    expect(error).toBeUndefined();
    expect(summary).toBeDefined();

    if (want.outcome === 'skipped') {
      expect(summary!.results.length).toBe(want.count ?? 1);
      for (const r of summary!.results) expect(r).toMatchObject({ outcome: 'skipped', reason: want.reason });
      const counts: Record<string, number> = {};
      for (const r of requests) counts[r.op] = (counts[r.op] ?? 0) + 1;
      expect(counts).toEqual(entry.requests ?? {});
      expect(requests.filter((r) => WRITE_METHODS.has(r.method))).toEqual([]);
      return;
    }

    // Encrypted: the odd-but-legal key is rewritten as itself; writes touch that key only; others are untouched.
    const [result] = summary!.results;
    const eventKey = (JSON.parse(payloadOf(entry).toString()) as { events: Array<{ oss: { object: { key: string } } }> }).events[0]!.oss.object.key;
    expect(summary!.results).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'encrypted', key: eventKey, algorithm: 'AES256' });
    const writes = requests.filter((r) => WRITE_METHODS.has(r.method));
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(w.key).toBe(eventKey);
    const head = await client.head(eventKey);
    expect((head.res.headers as Record<string, string>)['x-oss-server-side-encryption']).toBe('AES256');
    expect((await client.get(eventKey)).content).toEqual(bodies.get(eventKey));
    expect((await client.getACL(eventKey)).acl).toBe(aclBefore);
    for (const other of want.untouched ?? []) {
      const h = (await client.head(other)).res.headers as Record<string, string>;
      expect(h['x-oss-server-side-encryption']).toBeUndefined();
      expect((await client.get(other)).content).toEqual(bodies.get(other));
    }
  });

  it('parsing hostile payloads pollutes no prototype', () => {
    const probe = {} as Record<string, unknown>;
    expect(probe.polluted).toBeUndefined();
    expect(probe.oss).toBeUndefined();
    expect(probe.events).toBeUndefined();
    expect(probe.name).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});
