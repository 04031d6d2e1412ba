/**
 * Issue 15 item 12: Ctrl-C on `start` with queued uploads. The local OSS keeps serving until every queued
 * notification (retries included) is handled, then the process exits 0; a second Ctrl-C exits at once with 130.
 * Ordering instead of sleeps: a key under slow/ fails every attempt (its KMS key does not exist), so its retries
 * are still queued when the signal arrives; the signal is sent once its first failure is printed and right after
 * a burst of uploads has been answered.
 */
import OSS from 'ali-oss';
import { spawnCli, type SpawnedCli } from './run-cli';

interface Ready { endpoint: string; region: string; bucket: string; accessKeyId: string; accessKeySecret: string }

const ENV = {
  LOG_LEVEL: 'silent', SSE_ALGORITHM: 'AES256',
  SSE_RULES: JSON.stringify([{ prefix: 'slow/', algorithm: 'KMS', kmsKeyId: 'key-does-not-exist' }]),
};

async function started(run: SpawnedCli): Promise<{ ready: Ready; client: OSS }> {
  await run.waitFor(/^\{.*\}\n/, 'stdout');
  const ready = JSON.parse(run.stdout().split('\n')[0]!) as Ready;
  const client = new OSS({ endpoint: ready.endpoint, region: `oss-${ready.region}`, accessKeyId: ready.accessKeyId, accessKeySecret: ready.accessKeySecret, bucket: ready.bucket });
  return { ready, client };
}

describe('start: Ctrl-C with queued uploads', () => {
  test('first Ctrl-C drains: every queued upload is handled against a live local OSS, then exit 0', async () => {
    const run = spawnCli(['start', '--bucket', 'drain-bucket'], ENV);
    try {
      const { client } = await started(run);
      await client.put('slow/retried.bin', Buffer.from('x'));
      await run.waitFor(/attempt 1 of request \S+ failed; retrying/, 'stdout');
      const keys = Array.from({ length: 20 }, (_, i) => `burst/${i}.txt`);
      await Promise.all(keys.map((k) => client.put(k, Buffer.from(k))));
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      const out = run.stdout();
      expect(out).toMatch(/stopping: finishing queued notifications/);
      for (const k of keys) expect(out).toMatch(new RegExp(`encrypted +oss://drain-bucket/${k.replace(/[./]/g, '\\$&')} `));
      // The retried key's later attempts met the same OSS (its KMS error), not a closed port.
      const attempts = out.split('\n').filter((l) => / failed +oss:\/\/drain-bucket\/slow\/retried\.bin {2}OSS_/.test(l));
      expect(attempts).toHaveLength(4);
      expect(out).not.toMatch(/ECONNREFUSED|ECONNRESET|socket hang up|NETWORK/);
      expect(out).toMatch(/request \S+ failed after 4 attempts/);
      expect(out).toMatch(/stopped: every queued notification/);
      expect(code).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  test('a second Ctrl-C during the drain exits at once with 130', async () => {
    const run = spawnCli(['start', '--bucket', 'drain-bucket'], ENV);
    try {
      const { client } = await started(run);
      await client.put('slow/retried.bin', Buffer.from('x'));
      await run.waitFor(/attempt 1 of request \S+ failed; retrying/, 'stdout');
      run.child.kill('SIGINT');
      await run.waitFor(/stopping: finishing queued notifications/, 'stdout');
      run.child.kill('SIGINT');
      const { code } = await run.exited;
      expect(run.stdout()).toMatch(/SIGINT again: exiting now/);
      expect(code).toBe(130);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
