import pino from 'pino';
import type { Command } from './command';
import { onStopSignals } from './stop-signals';
import { createLogger } from '../log';
import { intFlag, list, parseFlags } from '../local-run/args';
import { logLevel, reportError } from '../local-run/cli-support';
import { UsageError } from '../local-run/errors';
import { startLocalTrigger, DEFAULT_TRIGGER_EVENTS, type InvocationInfo } from '../local-run/trigger';

const HELP = `Usage: oss-auto-encrypt start [options]

Starts a local OSS with one bucket and wires its event notifications to the real handler the way an
FC OSS trigger does (same event JSON, fresh STS credentials per invocation, async with retries).
Point ali-oss or any OSS client at the printed endpoint, upload, and watch objects get encrypted.
Runs until Ctrl-C (SIGINT) or SIGTERM, then finishes every queued notification (retries included) before the
local OSS closes; a second Ctrl-C exits at once (130).

The first stdout line is JSON: {"endpoint","region","bucket","accountId","accessKeyId","accessKeySecret","events"}.
These are the throwaway keys of this local emulator, not cloud credentials.

Options:
  --bucket NAME      bucket to create (default my-bucket)
  --port N           local OSS port (default: any free port)
  --events LIST      comma-separated trigger events (default ${DEFAULT_TRIGGER_EVENTS.join(',')})
  --prefix P         only keys starting with P
  --suffix S         only keys ending with S
  --verbose          function logs (pino JSON) on stderr at info level (default warn, or LOG_LEVEL)
  -h, --help         this help

The function's environment applies as in FC (SSE_ALGORITHM, SSE_KMS_KEY_ID, … see docs/function.md).`;

interface Flags { bucket?: string; port?: string; events?: string; prefix?: string; suffix?: string; verbose?: boolean }

export const command: Command = {
  name: 'start',
  summary: 'local OSS + trigger: uploads get encrypted as they arrive',
  help: HELP,
  async run(argv) {
    try {
      const { flags, positionals } = parseFlags<Flags>('start', argv, {
        bucket: { type: 'string' }, port: { type: 'string' }, events: { type: 'string' },
        prefix: { type: 'string' }, suffix: { type: 'string' }, verbose: { type: 'boolean' },
      });
      if (positionals.length) throw new UsageError(`start takes no arguments, got "${positionals[0]}"`);
      const port = intFlag('port', flags.port, 0, 65535);
      const logger = createLogger({
        level: logLevel(flags.verbose, process.env.LOG_LEVEL),
        destination: pino.destination({ dest: 2, sync: true }),
      });
      const trigger = await startLocalTrigger({
        bucket: flags.bucket ?? 'my-bucket', env: process.env, logger,
        ...(flags.events ? { events: list(flags.events) } : {}),
        ...(flags.prefix ? { prefix: flags.prefix } : {}), ...(flags.suffix ? { suffix: flags.suffix } : {}),
        ...(port !== undefined ? { port } : {}),
        onInvocation: (info) => process.stdout.write(formatInvocation(info)),
      });
      const { endpoint, region, bucket, accountId, accessKeyId, accessKeySecret, events } = trigger;
      process.stdout.write(JSON.stringify({ endpoint, region, bucket, accountId, accessKeyId, accessKeySecret, events }) + '\n');
      process.stdout.write([
        `Local OSS on ${endpoint} (region ${region}); bucket "${bucket}" triggers the function on ${events.join(', ')}.`,
        'Try it:',
        `  node -e "const OSS=require('ali-oss');new OSS({endpoint:'${endpoint}',region:'oss-${region}',accessKeyId:'${accessKeyId}',accessKeySecret:'${accessKeySecret}',bucket:'${bucket}'}).put('hello.txt',Buffer.from('hi')).then(()=>console.log('uploaded'))"`,
        'Ctrl-C to stop.',
        '',
      ].join('\n'));

      // First Ctrl-C/SIGTERM: drain (the local OSS stays up until every queued notification, retries included, is
      // handled), then exit 0. A second one exits at once with 130; queued objects are then left as they are.
      const stopped = new Promise<void>((resolve) => {
        onStopSignals(() => resolve(), (sig) => process.stdout.write(`${sig} again: exiting now; queued notifications are dropped, their objects stay as they are\n`));
      });
      await stopped;
      process.stdout.write('stopping: finishing queued notifications and their retries; the local OSS serves until then (Ctrl-C again to exit at once)…\n');
      await trigger.close();
      process.stdout.write('stopped: every queued notification was handled\n');
      return 0;
    } catch (err) {
      return reportError('start', err);
    }
  },
};

export function formatInvocation(info: InvocationInfo): string {
  const lines: string[] = [];
  for (const r of info.summary?.results ?? []) {
    const how = [r.algorithm, r.kmsKeyId, r.method, `${Math.round(r.durationMs)} ms`].filter(Boolean).join(', ');
    lines.push(`${r.outcome.padEnd(9)} oss://${r.bucket}/${r.key}  ${r.reason}${how ? ` (${how})` : ''}${r.error ? `: ${r.error.code} ${r.error.message}` : ''}`);
  }
  if (info.error && !info.summary) lines.push(`failed    ${info.keys.join(', ')}  ${info.error.code}: ${info.error.message}`);
  if (info.error) {
    lines.push(info.willRetry
      ? `          attempt ${info.attempt} of request ${info.requestId} failed; retrying as FC would`
      : `          request ${info.requestId} failed after ${info.attempt} attempts; FC would now send it to the onFailure destination`);
  }
  return lines.map((l) => `${new Date().toISOString()} ${l}\n`).join('');
}
