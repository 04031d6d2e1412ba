import pino from 'pino';
import type { Command } from './command';
import { createLogger } from '../log';
import { parseFlags } from '../local-run/args';
import { loadEventFiles } from '../local-run/event-files';
import { formatEvent, formatTotals } from '../local-run/format';
import { replay, replayFailed, type RemoteTarget } from '../local-run/replay';
import { logLevel, reportError, cloudCredentials } from '../local-run/cli-support';
import { UsageError } from '../local-run/errors';

const HELP = `Usage: oss-auto-encrypt replay [options] [event files, directories or - …]

Runs the real handler on each event (all of events/ when none are named; "-" reads one event from
standard input) and prints every object before and after, in the style of \`ossutil stat\`, with the
outcome and its reason. Any event the function accepts works: an OSS trigger event ({"events": […]}),
one bare record, or an EventBridge CloudEvent, e.g. the console's or \`s\`'s OSS template or an event
copied from the function's logs.

By default it starts an embedded local OSS per region and account of the events (the function runs
in the bucket's own), creates each event's bucket and a plaintext object per key (with Content-Type,
Cache-Control, x-oss-meta-* and tags, so preservation is visible), and runs the handler with emulator
STS credentials. A seeded copy cannot have the bytes behind the event's eTag, so replay says so and
gives the handler the event with the seeded object's eTag (and size, where it differs).

With --endpoint, or with ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET set, it runs
against that OSS instead: it creates nothing and replays each event exactly as given, so an object
whose ETag is not the event's is left alone (skipped: replaced).

Options:
  --json             print one machine-readable JSON report on stdout
  --keep-etag        embedded: replay the event untouched, to watch the stale-event path (replaced)
  --endpoint URL     OSS endpoint to run against (needs the ALIBABA_CLOUD_* credentials)
  --region ID        region the function runs in (default: each event's own region)
  --local            use the embedded local OSS even when ALIBABA_CLOUD_* credentials are set
  --verbose          function logs (pino JSON) on stderr at info level (default warn, or LOG_LEVEL)
  -h, --help         this help

The function's environment applies as in FC: SSE_ALGORITHM, SSE_KMS_KEY_ID, SSE_KMS_DATA_ENCRYPTION,
SSE_RULES, SSE_ON_MISMATCH, DRY_RUN, PRESERVE_ACL, ALLOWED_BUCKETS … (docs/function.md).

Exit status: 0 when every object was encrypted or skipped, 1 when any object or invocation failed,
2 for bad input (missing or malformed event file, unknown flag).`;

interface Flags { json?: boolean; 'keep-etag'?: boolean; endpoint?: string; region?: string; local?: boolean; verbose?: boolean }

export const command: Command = {
  name: 'replay',
  summary: 'run the handler on sample events (embedded local OSS by default)',
  help: HELP,
  async run(argv) {
    try {
      const { flags, positionals } = parseFlags<Flags>('replay', argv, {
        json: { type: 'boolean' }, 'keep-etag': { type: 'boolean' }, endpoint: { type: 'string' }, region: { type: 'string' },
        local: { type: 'boolean' }, verbose: { type: 'boolean' },
      });
      const files = await loadEventFiles(positionals);
      const creds = cloudCredentials(process.env);
      let remote: RemoteTarget | undefined;
      if (!flags.local && (flags.endpoint || creds)) {
        if (!creds) {
          throw new UsageError('--endpoint needs credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys), or drop --endpoint to use the embedded local OSS');
        }
        remote = { credentials: creds, ...(flags.endpoint ? { endpoint: flags.endpoint } : {}), ...(flags.region ? { region: flags.region } : {}) };
      }
      const logger = createLogger({
        level: logLevel(flags.verbose, process.env.LOG_LEVEL),
        destination: pino.destination({ dest: 2, sync: true }),
      });
      const report = await replay({
        files, env: process.env, logger, ...(remote ? { remote } : {}), ...(flags.region ? { region: flags.region } : {}),
        ...(flags['keep-etag'] ? { keepEtag: true } : {}),
        onEvent: flags.json ? undefined : (e) => process.stdout.write(formatEvent(e) + '\n'),
      });
      if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else process.stdout.write(formatTotals(report));
      return replayFailed(report) ? 1 : 0;
    } catch (err) {
      return reportError('replay', err);
    }
  },
};
