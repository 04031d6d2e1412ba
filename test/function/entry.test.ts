/** The FC entry module, initialize, CloudEvent delivery, timeouts and restored archives, through the local OSS. */
import { BUCKET, headers, startHarness, upload } from './harness';

describe('src/function/index.ts (FC entry)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('exports handler and initialize built from process.env', () => {
    process.env = { ...saved, SSE_ALGORITHM: 'SM4', LOG_LEVEL: 'silent' };
    jest.isolateModules(() => {
      const mod = require('../../src/function/index') as Record<string, unknown>;
      expect(typeof mod.handler).toBe('function');
      expect(typeof mod.initialize).toBe('function');
    });
  });

  it('fails to load (so the instance fails at start) when an env var is wrong', () => {
    process.env = { ...saved, SSE_ON_MISMATCH: 'always' };
    jest.isolateModules(() => {
      // isolateModules loads its own copy of src/errors, so compare by code and message rather than class.
      let err: unknown;
      try {
        require('../../src/function/index');
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
      expect((err as Error).message).toMatch(/SSE_ON_MISMATCH="always" is not valid; accepted values: skip \| reencrypt/);
    });
  });
});

describe('handler details', () => {
  it('initialize logs the effective policy without secrets', async () => {
    const h = await startHarness({ SSE_ALGORITHM: 'KMS' });
    try {
      const ctx = h.context('init-1');
      await h.handler.initialize(ctx);
      const line = h.logs.lines().find((l) => l.msg === 'initialized');
      expect(line).toMatchObject({ requestId: 'init-1', algorithm: 'KMS', onMismatch: 'skip', dryRun: false, preserveAcl: true });
      expect(h.logs.raw()).not.toContain(ctx.credentials!.accessKeySecret);
    } finally {
      await h.close();
    }
  });

  it('accepts the OSS record wrapped as an EventBridge CloudEvent', async () => {
    const h = await startHarness();
    try {
      const obj = await upload(h.client, 'ce/a.txt', Buffer.from('cloud'));
      const ce = {
        specversion: '1.0',
        id: 'evt-1',
        source: 'acs.oss',
        type: 'oss:ObjectCreated:PutObject',
        subject: `acs:oss:cn-hangzhou:1234567890123456:${BUCKET}/ce/a.txt`,
        datacontenttype: 'application/json;charset=utf-8',
        data: { eventName: 'ObjectCreated:PutObject', region: 'cn-hangzhou', oss: { bucket: { name: BUCKET }, object: { key: obj.key, eTag: obj.eTag, size: obj.size } } },
      };
      const s = await h.handler.handler(Buffer.from(JSON.stringify(ce)), h.context());
      expect(s.results[0]).toMatchObject({ outcome: 'encrypted' });
      expect((await headers(h.client, obj.key))['x-oss-server-side-encryption']).toBe('AES256');
    } finally {
      await h.close();
    }
  });

  it('retries requests that time out (slow responses)', async () => {
    const h = await startHarness({ OSS_TIMEOUT_MS: '200', RETRY_MAX_ATTEMPTS: '8' });
    try {
      const objs = await Promise.all(['slow/1', 'slow/2', 'slow/3'].map((k) => upload(h.client, k, Buffer.from(k))));
      h.oss.requestLog.clear();
      h.oss.faults.set([{ op: 'HeadObject', rate: 0.5, kind: 'slow', delayMs: 600 }], 7);
      const s = await h.handler.handler(Buffer.from(JSON.stringify({ events: objs.map((o) => ({ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: BUCKET }, object: { key: o.key, eTag: o.eTag } } })) })), h.context());
      h.oss.faults.clear();
      expect(s).toMatchObject({ total: 3, encrypted: 3, failed: 0 });
      expect(h.logs.lines().some((l) => l.msg === 'retrying HeadObject' && /Timeout/.test(String(l.code)))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('encrypts an archive object once it is restored, keeping its storage class', async () => {
    const h = await startHarness();
    try {
      const obj = await upload(h.client, 'cold/restored.bin', Buffer.from('thawed'), { headers: { 'x-oss-storage-class': 'Archive' } });
      await h.client.restore(obj.key);
      expect((await headers(h.client, obj.key))['x-oss-restore']).toMatch(/ongoing-request="false"/);
      const s = await h.handler.handler(Buffer.from(JSON.stringify({ events: [{ eventName: 'ObjectCreated:PutObject', oss: { bucket: { name: BUCKET }, object: { key: obj.key, eTag: obj.eTag } } }] })), h.context());
      expect(s.results[0]).toMatchObject({ outcome: 'encrypted' });
      const hd = await headers(h.client, obj.key);
      expect(hd['x-oss-server-side-encryption']).toBe('AES256');
      expect(hd['x-oss-storage-class']).toBe('Archive');
    } finally {
      await h.close();
    }
  });
});
