import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../src/cli/replay';
import { DEFAULT_EVENTS_DIR } from '../../src/local-run/event-files';
import type { ReplayReport } from '../../src/local-run/replay';
import { startLocalOss, type LocalOss } from '../../src/local-oss';
import { runCli } from './run-cli';

const sample = (name: string) => join(DEFAULT_EVENTS_DIR, name);
const PUBLIC = join(__dirname, '..', 'fixtures', 'public-events');
const BIN = join(__dirname, '..', '..', 'bin', 'oss-auto-encrypt.js');

describe('oss-auto-encrypt replay', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'replay-cli-')); });

  test('no arguments: every sample, before → after per object, totals, exit 0', async () => {
    const r = await runCli(command, []);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const f of ['append-object', 'cloudevent-put-object', 'complete-multipart-upload', 'copy-object-echo', 'multi-record', 'post-object', 'put-object', 'put-symlink']) {
      expect(r.stdout).toContain(`events/${f}.json`);
    }
    expect(r.stdout).toMatch(/oss:\/\/my-bucket\/uploads\/reports\/2026-q3-summary\.pdf {2}\[seeded: normal\]\n {3}ENCRYPTED: unencrypted \(copy, AES256, \d+ ms\)\n {5}X-Oss-Server-Side-Encryption +: - {2}→ {2}AES256\n {5}Content-Type +: application\/pdf\n/);
    expect(r.stdout).toMatch(/SKIPPED: appendable/);
    expect(r.stdout).toMatch(/SKIPPED: symlink/);
    expect(r.stdout).toMatch(/X-Oss-Meta-Uploaded-By +: replay\n/);
    expect(r.stdout).toMatch(/8 events, 10 objects on embedded local OSS http:\/\/127\.0\.0\.1:\d+: 7 encrypted, 3 skipped, 0 failed\n$/);
  });

  test('--json: one machine-readable report', async () => {
    const r = await runCli(command, ['--json', sample('put-object.json'), sample('append-object.json')]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.totals).toMatchObject({ events: 2, objects: 2, encrypted: 1, skipped: 1, failed: 0 });
    expect(report.events[0]!.objects[0]).toMatchObject({ before: { exists: true }, after: { encryption: 'AES256' }, result: { outcome: 'encrypted' } });
  });

  test('the SSE policy comes from the environment, as in FC', async () => {
    const r = await runCli(command, ['--json', sample('put-object.json')], { SSE_ALGORITHM: 'SM4' });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as ReplayReport).events[0]!.objects[0]!.after.encryption).toBe('SM4');
  });

  test('--region sets the region the function runs in: events from another region are refused, as in FC', async () => {
    const r = await runCli(command, ['--json', '--region', 'cn-shanghai', sample('put-object.json')]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.events[0]!.error).toMatchObject({ code: 'REGION_MISMATCH' });
    expect(report.events[0]!.objects[0]!.after.encryption).toBeUndefined();
  });

  test('a failed object → exit 1', async () => {
    const r = await runCli(command, [sample('put-object.json')], { ALLOWED_BUCKETS: 'another-bucket' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED: BUCKET_NOT_ALLOWED/);
    expect(r.stdout).toMatch(/0 encrypted, 0 skipped, 1 failed/);
  });

  describe('bad input: one clear line on stderr, non-zero exit, no stack', () => {
    const oneLine = (stderr: string) => {
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr).not.toMatch(/\n\s+at /);
    };

    test('missing event file → 2', async () => {
      const r = await runCli(command, [join(dir, 'nope.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^oss-auto-encrypt replay: .*nope\.json: cannot read the event file \(no such file\) \[EVENT_FILE_INVALID\]\n$/);
      oneLine(r.stderr);
    });

    test('malformed event file → 2', async () => {
      const p = join(dir, 'bad.json');
      await writeFile(p, '{"events":[{"oss":');
      const r = await runCli(command, [p]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/bad\.json: .*not JSON/);
      oneLine(r.stderr);
    });

    test('unknown flag → 2', async () => {
      const r = await runCli(command, ['--bogus']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/Unknown option '--bogus'.*replay --help/);
      oneLine(r.stderr);
    });

    test('invalid configuration → 2 with every bad variable', async () => {
      const r = await runCli(command, [sample('put-object.json')], { SSE_ALGORITHM: 'DES' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/SSE_ALGORITHM.*\[CONFIG_INVALID\]/);
      oneLine(r.stderr);
    });

    test('invalid configuration through the installed bin: the process exits (no emulator left running)', () => {
      const r = spawnSync(process.execPath, [BIN, 'replay', sample('put-object.json')], { env: { ...process.env, SSE_ALGORITHM: 'DES' }, encoding: 'utf8', timeout: 30_000 });
      expect({ status: r.status, signal: r.signal }).toEqual({ status: 2, signal: null });
      expect(r.stderr).toMatch(/SSE_ALGORITHM/);
    });

    test('--endpoint without credentials → 2', async () => {
      const r = await runCli(command, ['--endpoint', 'http://127.0.0.1:9', sample('put-object.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--endpoint needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID/);
      oneLine(r.stderr);
    });

    test('unreachable endpoint → 1', async () => {
      const r = await runCli(command, ['--endpoint', 'http://127.0.0.1:1', sample('put-object.json')], { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'y' });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^oss-auto-encrypt replay: HeadObject failed: .*\[OSS_\w+\]\n$/);
      oneLine(r.stderr);
    });

    describe('against a reachable OSS', () => {
      let oss: LocalOss;
      beforeAll(async () => { oss = await startLocalOss({ buckets: ['my-bucket'] }); });
      afterAll(() => oss.close());

      test('wrong credentials → 1, and the secret is not printed', async () => {
        const r = await runCli(command, ['--endpoint', oss.endpoint, sample('put-object.json')], { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'not-the-secret-123' });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/SignatureDoesNotMatch/);
        expect(r.stderr + r.stdout).not.toContain('not-the-secret-123');
        oneLine(r.stderr);
      });

      test('right credentials → runs there and creates nothing (the object is simply gone)', async () => {
        const r = await runCli(command, ['--json', '--endpoint', oss.endpoint, sample('put-object.json')], { ALIBABA_CLOUD_ACCESS_KEY_ID: oss.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: oss.accessKeySecret });
        expect(r.code).toBe(0);
        const report = JSON.parse(r.stdout) as ReplayReport;
        expect(report).toMatchObject({ mode: 'remote', endpoint: oss.endpoint });
        expect(report.events[0]!.objects[0]).toMatchObject({ before: { exists: false }, result: { outcome: 'skipped', reason: 'gone' } });
      });
    });
  });

  describe('events users actually have (test/fixtures/public-events)', () => {
    test('the fc3 OSS template: one line on the eTag substitution, then unencrypted → encrypted', async () => {
      const r = await runCli(command, [join(PUBLIC, 'fc3-oss.json')]);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/== .*fc3-oss\.json {2}\(ObjectCreated:PutObject; 1 object; cn-shanghai, account 123456789; request 1-/);
      expect(r.stdout).toMatch(/oss:\/\/testbucket\/image\/a\.jpg {2}\[seeded: normal\]\n {3}event eTag 688A7BF4F233DC9C88A80BF985AB7329 → [0-9A-F]{32} \(the seeded object's: a local copy cannot have the bytes behind the event's eTag\); --keep-etag replays the event as is\n {3}ENCRYPTED: unencrypted \(copy, AES256, \d+ ms\)\n {5}X-Oss-Server-Side-Encryption +: - {2}→ {2}AES256\n/);
      expect(r.stdout).toMatch(/1 event, 1 object on embedded local OSS http:\/\/127\.0\.0\.1:\d+: 1 encrypted, 0 skipped, 0 failed\n$/);
    });

    test('--keep-etag: the same template shows the stale-event path', async () => {
      const r = await runCli(command, ['--keep-etag', join(PUBLIC, 'fc3-oss.json')]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/event kept as is \(--keep-etag\): its eTag 688A7BF4F233DC9C88A80BF985AB7329 is not the object's [0-9A-F]{32}, so the handler sees another object than the event's\n {3}SKIPPED: replaced/);
      expect(r.stdout).toMatch(/X-Oss-Server-Side-Encryption +: -\n/);
      expect(r.stdout).toMatch(/0 encrypted, 1 skipped, 0 failed/);
    });

    test('the whole folder: three regions and accounts, each event in its own, all encrypted', async () => {
      const r = await runCli(command, [PUBLIC]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/MISMATCH/);
      expect(r.stdout).toMatch(/fc-docs-oss-trigger\.json {2}\(ObjectCreated:PutObject; 1 object; cn-hangzhou, account 123456789;/);
      expect(r.stdout).toMatch(/knative-oss-cn-beijing\.json {2}\(ObjectCreated:PostObject; 1 object; cn-beijing, account 1041208914252405;/);
      expect(r.stdout).toMatch(/X-Oss-Meta-Last-Modified +: 20250213\n/);
      expect(r.stdout).toMatch(/4 events, 4 objects on embedded local OSS in cn-hangzhou\/123456789 \(http:[^)]+\), cn-shanghai\/123456789 \(http:[^)]+\), cn-beijing\/1041208914252405 \(http:[^)]+\): 4 encrypted, 0 skipped, 0 failed\n$/);
    });

    test('a masked example → 2, one line naming the file and saying the name looks masked', async () => {
      const path = join(PUBLIC, 'masked', 'eventbridge-dataworks-oss.json');
      const r = await runCli(command, [path]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`oss-auto-encrypt replay: ${path}: `);
      expect(r.stderr).toMatch(/bucket name looks masked .* \[EVENT_FILE_INVALID\]\n$/);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    });

    describe('standard input ("-"), through the installed bin', () => {
      const bin = (args: string[], input: string) => spawnSync(process.execPath, [BIN, 'replay', ...args], {
        input, encoding: 'utf8', timeout: 60_000,
        env: { ...process.env, LOG_LEVEL: 'silent', ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '' },
      });

      test('an event piped in replays like the file', () => {
        const r = bin(['-'], readFileSync(join(PUBLIC, 'knative-oss-cn-beijing.json'), 'utf8'));
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^== <stdin> {2}\(ObjectCreated:PostObject; 1 object; cn-beijing, account 1041208914252405;/);
        expect(r.stdout).toMatch(/1 encrypted, 0 skipped, 0 failed\n$/);
      });

      test('something else on stdin → 2, naming <stdin> and the problem', () => {
        const r = bin(['-'], '{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer-trigger","payload":"awesome-fc"}');
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/^oss-auto-encrypt replay: <stdin>: .*neither "events" \(OSS trigger\) nor "data" \(CloudEvent\); keys found: triggerTime, triggerName, payload.*\[EVENT_FILE_INVALID\]\n$/);
      });
    });
  });

  test('--help documents the flags', async () => {
    expect(command.help).toMatch(/--json/);
    expect(command.help).toMatch(/--keep-etag/);
    expect(command.help).toMatch(/"-" reads one event from/);
    expect(command.help).toMatch(/--endpoint URL/);
    expect(command.help).toMatch(/ALIBABA_CLOUD_ACCESS_KEY_ID/);
  });
});
