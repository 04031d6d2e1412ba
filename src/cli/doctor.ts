/**
 * `oss-auto-encrypt doctor`: flags → runDoctor (src/doctor/run.ts) → the checklist on stdout (text or --json).
 * Progress and the trigger countdown go to stderr. Ctrl-C stops the checks and still removes every scratch object.
 * Exit codes: 0 nothing ✗, 1 something ✗ (or a scratch object could not be removed), 2 bad flags, 130/143/129 interrupted
 * by SIGINT/SIGTERM/SIGHUP (each cleans up like Ctrl-C).
 */
import type { Command } from './command';
import { parseFlags, intFlag } from '../local-run/args';
import { cloudCredentials, reportError } from '../local-run/cli-support';
import { UsageError, assertBucketName } from '../local-run/errors';
import { exitCode } from '../doctor/report';
import { formatJson, formatText } from '../doctor/format';
import { runDoctor } from '../doctor/run';

const HELP = `Usage: oss-auto-encrypt doctor --bucket B [options]

Proves, in your own account, that the function will do the right thing on this bucket: one checklist,
each line ✔ ok / ✗ failed / ! warning / – skipped, with a one-line fix. Run it before and after \`s deploy\`.
Writes a few scratch objects under .oss-auto-encrypt-doctor/<run>/ (and one where the trigger listens) and
removes every version of them at the end, also after Ctrl-C.

Options:
  --bucket B          the bucket to check (required)
  --region R          its region id (default: $ALIBABA_CLOUD_REGION, else $REGION)
  --endpoint E        OSS endpoint (default: $OSS_ENDPOINT, else https://oss-<region>.aliyuncs.com)
  --function NAME     also check the deployed FC 3.0 function, its trigger, role and delivery
  --account-id ID     account id for the FC endpoint (default: $ALIBABA_CLOUD_ACCOUNT_ID, else the bucket owner)
  --fc-endpoint URL   Function Compute endpoint override (default https://<account>.<region>.fc.aliyuncs.com)
  --qualifier Q       function version or alias (default LATEST)
  --wait SECONDS      how long to wait for the trigger to encrypt the delivery object (default 60)
  --poll-ms N         how often to look at the delivery object meanwhile (default 1000)
  --no-write          read-only: no scratch objects, no probe, no invocation, no delivery check
  --remove-stale      remove what earlier, killed doctor runs left under .oss-auto-encrypt-doctor/ (and the
                      delivery objects they recorded); without it they are reported
  --json              print the report as JSON
  -h, --help          this help

The policy checked is the SSE_* environment of this shell (the variables s.yaml deploys).
Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, optional ALIBABA_CLOUD_SECURITY_TOKEN.

Exit status: 0 nothing failed, 1 something failed, 2 bad input, 130 interrupted (Ctrl-C), 143 SIGTERM,
129 SIGHUP (each removes the scratch objects first).`;

type Signal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
const SIGNALS: Signal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** 128 + the signal number, as a shell reports a process the signal ended. */
const SIGNAL_EXIT: Record<Signal, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

interface Flags {
  bucket?: string; region?: string; endpoint?: string; function?: string; 'account-id'?: string; 'fc-endpoint'?: string;
  qualifier?: string; wait?: string; 'poll-ms'?: string; 'no-write'?: boolean; json?: boolean; 'remove-stale'?: boolean;
}

export const command: Command = {
  name: 'doctor',
  summary: 'check bucket, keys, policy, function, role and trigger in your own account',
  help: HELP,
  async run(argv) {
    const controller = new AbortController();
    // SIGTERM (kill, a CI timeout) and SIGHUP (a closed terminal) are handled like Ctrl-C: stop, clean up, report.
    let caught: Signal | undefined;
    const onSignal = (sig: Signal) => {
      if (controller.signal.aborted) {
        // A second signal while the cleanup runs: leave now, and say what may remain.
        process.stderr.write('\nforced exit: scratch objects may remain under .oss-auto-encrypt-doctor/ (and oss-auto-encrypt-doctor* under the trigger prefix); run doctor --remove-stale or delete them by hand\n');
        process.exit(SIGNAL_EXIT[sig]);
      }
      caught = sig;
      process.stderr.write(`\ninterrupted${sig === 'SIGINT' ? '' : ` (${sig})`}: stopping and removing the scratch objects… (${sig === 'SIGINT' ? 'Ctrl-C' : 'the same signal'} again to leave at once)\n`);
      controller.abort();
    };
    const handlers = SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);
    try {
      const { flags } = parseFlags<Flags>('doctor', argv, {
        bucket: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' }, function: { type: 'string' },
        'account-id': { type: 'string' }, 'fc-endpoint': { type: 'string' }, qualifier: { type: 'string' }, wait: { type: 'string' },
        'poll-ms': { type: 'string' }, 'no-write': { type: 'boolean' }, json: { type: 'boolean' }, 'remove-stale': { type: 'boolean' },
      });
      const problems: string[] = [];
      if (!flags.bucket) problems.push('--bucket B is required');
      const region = flags.region ?? process.env.ALIBABA_CLOUD_REGION ?? process.env.REGION;
      if (!region) problems.push('--region R is required (or ALIBABA_CLOUD_REGION)');
      const credentials = cloudCredentials(process.env);
      if (!credentials) problems.push('no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys)');
      if (problems.length) throw new UsageError(problems.join('; '));
      assertBucketName(flags.bucket!, '--bucket');
      // Region ids are like cn-hangzhou or ap-southeast-1; an endpoint-style oss-cn-hangzhou is accepted too.
      const regionId = region!.replace(/^oss-/, '');
      if (!/^[a-z]{2}(-[a-z0-9]+)+$/.test(regionId)) throw new UsageError(`--region "${region!.slice(0, 60)}" is not a region id; give e.g. cn-hangzhou or ap-southeast-1`);
      if (flags.function !== undefined && flags.function.trim() === '') throw new UsageError('--function needs the deployed function\'s name, e.g. --function oss-auto-encrypt (leave the flag out to skip the function checks)');
      const waitSeconds = intFlag('wait', flags.wait, 1, 3600) ?? 60;
      const pollMs = intFlag('poll-ms', flags['poll-ms'], 10, 60_000);
      const endpoint = flags.endpoint ?? process.env.OSS_ENDPOINT;
      if (endpoint !== undefined) checkEndpoint('--endpoint', endpoint);
      if (flags['fc-endpoint'] !== undefined) checkEndpoint('--fc-endpoint', flags['fc-endpoint']);
      const accountId = flags['account-id'] ?? process.env.ALIBABA_CLOUD_ACCOUNT_ID;
      const tty = process.stderr.isTTY === true;
      let lastTick: number | undefined;
      const report = await runDoctor({
        bucket: flags.bucket!, region: regionId, ...(endpoint ? { endpoint } : {}), credentials: credentials!, env: process.env,
        write: !flags['no-write'], removeStale: flags['remove-stale'] === true, waitSeconds, ...(pollMs ? { pollMs } : {}), signal: controller.signal,
        ...(flags.function ? { function: { name: flags.function, ...(accountId ? { accountId } : {}), ...(flags['fc-endpoint'] ? { endpoint: flags['fc-endpoint'] } : {}), ...(flags.qualifier ? { qualifier: flags.qualifier } : {}) } } : {}),
        progress: (m) => { if (!flags.json) process.stderr.write(tty ? `\r\x1b[K${m}` : `${m}\n`); },
        onTick: (left, key) => {
          // A redrawn countdown on a terminal; elsewhere one line at the start and every 10 s.
          if (tty) process.stderr.write(`\r\x1b[Kwaiting for the trigger to encrypt ${key}: ${left} s left`);
          else if (left % 10 === 0 || lastTick === undefined) process.stderr.write(`waiting for the trigger to encrypt ${key}: ${left} s left\n`);
          lastTick = left;
        },
      });
      if (tty && !flags.json) process.stderr.write('\r\x1b[K');
      if (report.interrupted && caught) report.interruptedBy = caught;
      const interruptedCode = SIGNAL_EXIT[caught ?? 'SIGINT'];
      const code = report.interrupted ? interruptedCode : exitCode(report);
      process.stdout.write(flags.json ? formatJson(report, code) : formatText(report));
      return report.interrupted && report.cleanup.leftBehind.length === 0 ? interruptedCode : report.cleanup.leftBehind.length ? 1 : code;
    } catch (err) {
      return reportError('doctor', err);
    } finally {
      for (const [sig, h] of handlers) process.off(sig, h);
    }
  },
};

/** An http(s) URL with nothing but scheme, host and port: credentials in it would be printed in the report. */
function checkEndpoint(flag: string, value: string): void {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${flag} "${value.slice(0, 80)}" is not a URL; give e.g. https://oss-cn-hangzhou.aliyuncs.com`);
  }
  if (u.username || u.password) throw new UsageError(`${flag} must not contain credentials (user:password@); use the ALIBABA_CLOUD_* variables`);
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.pathname.replace(/\/+$/, '') !== '' || u.search || u.hash) {
    throw new UsageError(`${flag} must be scheme, host and port only, e.g. ${u.protocol === 'http:' || u.protocol === 'https:' ? `${u.protocol}//${u.host}` : 'https://oss-cn-hangzhou.aliyuncs.com'}`);
  }
}
