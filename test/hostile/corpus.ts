/**
 * Test helper (not a test): loads the hostile-input corpus (test/hostile/events/*.json, configs/*.json) and
 * builds each entry's payload. Entries are data so a new case is one file; the format is in docs/hostile-input.md.
 * Negative events clone a good event and break one field (`base` + `patch`), as in powertools' parser tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUCKET = 'test-bucket';
export const ACCOUNT = '1234567890123456';
export const REGION = 'cn-hangzhou';

export type EventExpectation =
  | { outcome: 'error'; code: string; message: string }
  | { outcome: 'skipped'; reason: string; count?: number }
  | { outcome: 'failed'; code: string; message: string }
  | { outcome: 'encrypted'; untouched?: string[] };

export interface EventEntry {
  file: string;
  name: string;
  why: string;
  input:
    | { raw: string }
    | { base64: string }
    | { json: unknown }
    | { base: 'oss' | 'oss2' | 'cloudevent'; patch: Array<{ path: string; value?: unknown; delete?: true }> }
    | { generate: Record<string, number | string> };
  expect: EventExpectation;
  env?: Record<string, string>;
  /** Keys uploaded (unencrypted) before the event is handled. */
  seed?: string[];
  /** Context overrides; `accountId: null` drops it (local runs, fc3 `s local`, have none). */
  context?: { accountId?: string | null; region?: string };
  /** Exact OSS request counts per operation; default none at all for errors and rule/name skips. */
  requests?: Record<string, number>;
}

export interface ConfigEntry {
  file: string;
  name: string;
  env: Record<string, string>;
  /** One fragment per expected problem, in order; the error must list exactly these. */
  problems: string[];
}

function load<T>(dir: string): T[] {
  const path = join(__dirname, dir);
  return readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, ...(JSON.parse(readFileSync(join(path, f), 'utf8')) as object) }) as T);
}

export const eventEntries = (): EventEntry[] => load<EventEntry>('events');
export const configEntries = (): ConfigEntry[] => load<ConfigEntry>('configs');

/** A well-formed OSS trigger record, the thing each negative case breaks one field of. */
export function goodRecord(key = 'hostile/ok.txt') {
  return {
    eventName: 'ObjectCreated:PutObject',
    eventSource: 'acs:oss',
    eventTime: '2026-11-27T01:45:12.000Z',
    eventVersion: '1.0',
    oss: {
      bucket: { arn: `acs:oss:${REGION}:${ACCOUNT}:${BUCKET}`, name: BUCKET, ownerIdentity: ACCOUNT },
      object: { deltaSize: 12, eTag: '9B14CC2EB027693F7E6FE0D184045B18', key, size: 12 },
      ossSchemaVersion: '1.0',
      ruleId: 'hostile-corpus',
    },
    region: REGION,
    requestParameters: { sourceIPAddress: '203.0.113.24' },
    responseElements: { requestId: '6746D1F2A8C3E5B70D4A000A' },
    userIdentity: { principalId: ACCOUNT },
  };
}

function cloudEvent(record: unknown) {
  return { specversion: '1.0', id: 'ce-1', source: 'acs.oss', type: 'oss:ObjectCreated:PutObject', datacontenttype: 'application/json', data: record };
}

const BASES = {
  oss: () => ({ events: [goodRecord()] }),
  oss2: () => ({ events: [goodRecord('hostile/ok-1.txt'), goodRecord('hostile/ok-2.txt')] }),
  cloudevent: () => cloudEvent(goodRecord()),
};

/** `{{repeat:X:N}}` inside a string stands for X repeated N times (long keys stay readable in the file). */
function expand(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\{\{repeat:(.+?):(\d+)\}\}/g, (_m, s: string, n: string) => s.repeat(Number(n)));
  if (Array.isArray(value)) return value.map(expand);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expand(v)]));
  return value;
}

function applyPatch(target: Record<string, unknown>, path: string, op: { value?: unknown; delete?: true }): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  const last = parts.at(-1)!;
  if (op.delete) delete node[last];
  else node[last] = expand(op.value);
}

const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

function generate(g: Record<string, number | string>): Buffer {
  if (typeof g.records === 'number') {
    const name = typeof g.eventName === 'string' ? g.eventName : undefined;
    const events = Array.from({ length: g.records }, (_, i) => ({ ...goodRecord(`hostile/r-${i}`), ...(name ? { eventName: name } : {}) }));
    return Buffer.from(JSON.stringify({ events }));
  }
  if (typeof g.cloudevents === 'number') return Buffer.from(JSON.stringify(Array.from({ length: g.cloudevents }, (_, i) => cloudEvent(goodRecord(`hostile/c-${i}`)))));
  if (typeof g.nestedArrays === 'number') return Buffer.from('['.repeat(g.nestedArrays) + ']'.repeat(g.nestedArrays));
  if (typeof g.nestedKey === 'number') return Buffer.from(JSON.stringify({ events: [goodRecord('@@DEEP@@')] }).replace('"@@DEEP@@"', deep(g.nestedKey)));
  if (typeof g.nestedSpecversion === 'number') return Buffer.from(JSON.stringify({ ...cloudEvent(goodRecord()), specversion: '@@DEEP@@' }).replace('"@@DEEP@@"', deep(g.nestedSpecversion)));
  if (typeof g.wideObject === 'number') return Buffer.from(JSON.stringify(Object.fromEntries(Array.from({ length: g.wideObject }, (_, i) => [`k${i}`, i]))));
  throw new Error(`unknown generator ${JSON.stringify(g)}`);
}

/** The payload exactly as FC would hand it to the handler: a Buffer. */
export function payloadOf(entry: EventEntry): Buffer {
  const input = entry.input;
  if ('raw' in input) return Buffer.from(input.raw, 'utf8');
  if ('base64' in input) return Buffer.from(input.base64, 'base64');
  if ('json' in input) return Buffer.from(JSON.stringify(input.json));
  if ('generate' in input) return generate(input.generate);
  const event = BASES[input.base]() as Record<string, unknown>;
  for (const p of input.patch) applyPatch(event, p.path, p);
  return Buffer.from(JSON.stringify(event));
}
