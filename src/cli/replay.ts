import pino from 'pino';
import type { Command } from './command';
import { createLogger } from '../log';
import { parseFlags } from '../local-run/args';
import { loadEventFiles } from '../local-run/event-files';
import { formatEvent, formatTotals } from '../local-run/format';
import { replay, replayFailed, type RemoteTarget } from '../local-run/replay';
import { logLevel, reportError, cloudCredentials } from '../local-run/cli-support';
import { UsageError } from '../local-run/errors';

const HELP = `Usage: oss-auto-encrypt replay [options] [event files or directories…]

Runs the real handler on each sample event (all of events/ when none are named) and prints every
object before and after, in the style of \`ossutil stat\`, with the outcome and its reason.

By default it starts an embedded local OSS, creates each event's bucket and a plaintext object per
key (with Content-Type, Cache-Control, x-oss-meta-* and tags, so preservation is visible), and runs
the handler with emulator STS credentials. With --endpoint, or with ALIBABA_CLOUD_ACCESS_KEY_ID and
ALIBABA_CLOUD_ACCESS_KEY_SECRET set, it runs against that OSS instead and creates nothing.

Options:
  --json             print one machine-readable JSON report on stdout
  --endpoint URL     OSS endpoint to run against (needs the ALIBABA_CLOUD_* credentials)
  --region ID        region to run in (default: the event's region)
  --local            use the embedded local OSS even when ALIBABA_CLOUD_* credentials are set
  --verbose          function logs (pino JSON) on stderr at info level (default warn, or LOG_LEVEL)
  -h, --help         this help

The function's environment applies as in FC: SSE_ALGORITHM, SSE_KMS_KEY_ID, SSE_KMS_DATA_ENCRYPTION,
SSE_RULES, SSE_ON_MISMATCH, DRY_RUN, PRESERVE_ACL, ALLOWED_BUCKETS … (docs/function.md).

Exit status: 0 when every object was encrypted or skipped, 1 when any object or invocation failed,
2 for bad input (missing or malformed event file, unknown flag).`;

interface Flags { json?: boolean; endpoint?: string; region?: string; local?: boolean; verbose?: boolean }

export const command: Command = {
  name: 'replay',
  summary: 'run the handler on sample events (embedded local OSS by default)',
  help: HELP,
  async run(argv) {
    try {
      const { flags, positionals } = parseFlags<Flags>('replay', argv, {
        json: { type: 'boolean' }, endpoint: { type: 'string' }, region: { type: 'string' },
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
