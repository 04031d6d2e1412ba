/**
 * `oss-auto-encrypt backfill`: flags → runBackfill (src/backfill/run.ts). Prints progress on stderr
 * (a redrawn bar on a terminal, a plain line every 10 s otherwise) and the summary on stdout.
 * Exit codes: 0 all done, 1 some objects failed or a run error, 2 bad flags (or a --fanout target that
 * does not exist, found before anything is written), 130 stopped by a signal.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Command } from './command';
import { onStopSignals } from './stop-signals';
import { checkEndpoint, loadPolicy } from '../config';
import { createLogger } from '../log';
import { AutoEncryptError, ConfigError } from '../errors';
import { logLevel, reportError } from '../local-run/cli-support';
import { BackfillOptionsError, FanoutTargetError } from '../backfill/errors';
import { DEFAULT_CONCURRENCY, runBackfill, type BackfillOptions, type BackfillSummary } from '../backfill/run';
import { renderBar, renderLine, renderSummary, type ProgressSnapshot } from '../backfill/progress';
import type { ReportFormat } from '../backfill/report';
import { FANOUT_TIMEOUT_MS } from '../backfill/fanout';

const HELP = `Usage: oss-auto-encrypt backfill --bucket B [options]
       npm run backfill -- --bucket B [options]

Encrypts objects that existed before the function, with the same policy (SSE_* env vars) and the
same per-object logic as the trigger.

Options:
  --bucket B          bucket to backfill (required)
  --prefix P          only keys under P
  --region R          OSS region id, e.g. cn-hangzhou (default: $ALIBABA_CLOUD_REGION)
  --endpoint E        OSS endpoint (default: $OSS_ENDPOINT, else https://oss-<region>.aliyuncs.com)
  --concurrency N     objects in flight, 1..1000 (default ${DEFAULT_CONCURRENCY}); lowered automatically on 503/SlowDown
  --dry-run           decide and report, change nothing
  --checkpoint FILE   record progress in FILE; rerun with the same FILE to resume
  --report FILE       one row per object; .csv → CSV, anything else → JSON lines
  --report-format F   csv | jsonl (overrides the extension)
  --overwrite-report  a run that does not resume may replace a non-empty --report (refused otherwise)
  --manifest FILE     read keys from an OSS inventory manifest.json (+ its CSV.gz data files) instead of listing
  --fanout FUNCTION   send keys in batches to the deployed function (async invocations) instead of copying here
  --batch-size N      keys per fan-out event (default 100)
  --service S         FC 2.0 service of the fan-out function (omit for FC 3.0)
  --account-id ID     Alibaba Cloud account id for --fanout (default: $ALIBABA_CLOUD_ACCOUNT_ID)
  --fc-endpoint URL   Function Compute endpoint override for --fanout
  --progress-interval S  seconds between progress lines when stderr is not a terminal (default 10)
  --json              print the final summary as JSON

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, optional ALIBABA_CLOUD_SECURITY_TOKEN.
Ctrl-C stops: no new objects, no more retries; objects in flight may finish, but a request that has had no
answer for 5 s is cut (those objects are redone on resume); checkpoint saved, exit 130. Twice exits at once.
An endpoint that does not answer is reported after 5 s.
`;

export interface BackfillCliArgs {
  bucket: string;
  prefix?: string;
  region: string;
  endpoint: string;
  concurrency: number;
  dryRun: boolean;
  checkpoint?: string;
  report?: string;
  reportFormat?: ReportFormat;
  overwriteReport?: boolean;
  manifest?: string;
  fanout?: { functionName: string; batchSize: number; service?: string; accountId: string; endpoint?: string };
  json: boolean;
  /** Seconds between plain progress lines (non-TTY). */
  progressInterval: number;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
}

const attempts = (n: number): string => `${n} attempt${n === 1 ? '' : 's'}`;

function wholeNumber(flag: string, v: string | undefined, def: number, problems: string[]): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) {
    problems.push(`${flag} must be a whole number, got "${v}"`);
    return def;
  }
  return Number(v);
}

/** Pure: argv + env → arguments, or BackfillOptionsError listing every problem. */
export function parseBackfillArgs(argv: string[], env: Record<string, string | undefined>): BackfillCliArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        concurrency: { type: 'string' },
        'dry-run': { type: 'boolean' },
        checkpoint: { type: 'string' },
        report: { type: 'string' },
        'report-format': { type: 'string' },
        'overwrite-report': { type: 'boolean' },
        manifest: { type: 'string' },
        fanout: { type: 'string' },
        'batch-size': { type: 'string' },
        service: { type: 'string' },
        'account-id': { type: 'string' },
        'fc-endpoint': { type: 'string' },
        json: { type: 'boolean' },
        'progress-interval': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new BackfillOptionsError([`${(err as Error).message} (see --help)`]);
  }
  const s = (k: string) => values[k] as string | undefined;
  const problems: string[] = [];
  const bucket = s('bucket');
  if (!bucket) problems.push('--bucket is required');
  const region = (s('region') ?? env.ALIBABA_CLOUD_REGION ?? '').replace(/^oss-/, '');
  if (!region) problems.push('--region is required (or set ALIBABA_CLOUD_REGION), e.g. --region cn-hangzhou');
  let endpoint = region ? `https://oss-${region}.aliyuncs.com` : '';
  const endpointFrom = s('endpoint') !== undefined ? '--endpoint' : env.OSS_ENDPOINT ? 'OSS_ENDPOINT' : undefined;
  if (endpointFrom) {
    const e = checkEndpoint(endpointFrom, s('endpoint') ?? env.OSS_ENDPOINT ?? '');
    if ('problem' in e) problems.push(e.problem);
    else endpoint = e.endpoint;
  }
  const fcEndpoint = s('fc-endpoint') === undefined ? undefined : checkEndpoint('--fc-endpoint', s('fc-endpoint') as string);
  if (fcEndpoint && 'problem' in fcEndpoint) problems.push(fcEndpoint.problem);
  const concurrency = wholeNumber('--concurrency', s('concurrency'), DEFAULT_CONCURRENCY, problems);
  const reportFormat = s('report-format');
  if (reportFormat !== undefined && reportFormat !== 'csv' && reportFormat !== 'jsonl') problems.push(`--report-format must be csv or jsonl, got "${reportFormat}"`);
  if (reportFormat && !s('report')) problems.push('--report-format needs --report FILE');
  if (values['overwrite-report'] === true && !s('report')) problems.push('--overwrite-report needs --report FILE');
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) problems.push('credentials missing: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys)');
  let fanout: BackfillCliArgs['fanout'];
  const fn = s('fanout');
  if (fn !== undefined) {
    const accountId = s('account-id') ?? env.ALIBABA_CLOUD_ACCOUNT_ID;
    if (!accountId) problems.push('--fanout needs --account-id (or ALIBABA_CLOUD_ACCOUNT_ID)');
    const batchSize = wholeNumber('--batch-size', s('batch-size'), 100, problems);
    if (batchSize < 1 || batchSize > 1000) problems.push('--batch-size must be 1..1000');
    fanout = { functionName: fn, batchSize, accountId: accountId ?? '', ...(s('service') ? { service: s('service') } : {}), ...(fcEndpoint && 'endpoint' in fcEndpoint ? { endpoint: fcEndpoint.endpoint } : {}) };
  } else {
    for (const f of ['batch-size', 'service', 'account-id', 'fc-endpoint']) if (s(f) !== undefined) problems.push(`--${f} only applies with --fanout`);
  }
  let progressInterval = 10;
  const pi = s('progress-interval');
  if (pi !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(pi) || Number(pi) < 0.1 || Number(pi) > 3600) problems.push(`--progress-interval must be a number of seconds from 0.1 to 3600, got "${pi}"`);
    else progressInterval = Number(pi);
  }
  if (problems.length) throw new BackfillOptionsError(problems);
  const token = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return {
    bucket: bucket as string,
    ...(s('prefix') !== undefined ? { prefix: s('prefix') } : {}),
    region,
    endpoint,
    concurrency,
    dryRun: values['dry-run'] === true,
    ...(s('checkpoint') ? { checkpoint: s('checkpoint') } : {}),
    ...(s('report') ? { report: s('report') } : {}),
    ...(reportFormat ? { reportFormat: reportFormat as ReportFormat } : {}),
    ...(values['overwrite-report'] === true ? { overwriteReport: true } : {}),
    ...(s('manifest') ? { manifest: s('manifest') } : {}),
    ...(fanout ? { fanout } : {}),
    json: values.json === true,
    progressInterval,
    credentials: { accessKeyId: accessKeyId as string, accessKeySecret: accessKeySecret as string, ...(token ? { securityToken: token } : {}) },
  };
}

/** Exits once the output is written, unless the process has ended by then anyway (unref'd). */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 100).unref();
}

function exitCode(s: BackfillSummary): number {
  if (s.aborted) return 130;
  return s.failed > 0 ? 1 : 0;
}

export const command: Command = {
  name: 'backfill',
  summary: 'encrypt objects that existed before the function',
  help: HELP,
  async run(argv) {
    const err = process.stderr;
    let args: BackfillCliArgs;
    try {
      args = parseBackfillArgs(argv, process.env);
    } catch (e) {
      if (e instanceof AutoEncryptError) {
        err.write(`oss-auto-encrypt backfill: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    const controller = new AbortController();
    // A second signal exits at once: the checkpoint on disk is always consistent (atomic writes).
    const removeSignalHandlers = onStopSignals((sig) => {
      err.write(`\n${sig}: stopping: objects in flight may finish; a request unanswered for 5 s is cut and its object redone on resume (again to exit at once)…\n`);
      controller.abort();
    });

    const tty = err.isTTY === true;
    let lastStallWarning = -Infinity;
    let lastWidth = 0;
    let bar = '';
    const onProgress = (p: ProgressSnapshot) => {
      if (p.done) return;
      if (tty) {
        bar = renderBar(p).slice(0, Math.max(60, (err.columns || 120) - 1)); // one row, so \r can redraw it
        err.write(`\r${bar}${' '.repeat(Math.max(0, lastWidth - bar.length))}`);
        lastWidth = bar.length;
      } else {
        err.write(renderLine(p) + '\n');
      }
    };
    // On a terminal a log line would be glued onto the bar (which has no newline): clear the bar's row
    // first, write the line, and draw the bar again below it.
    const logDestination = tty
      ? {
          write(line: string): void {
            if (lastWidth > 0) err.write('\r\x1b[K');
            err.write(line);
            if (lastWidth > 0) err.write(bar);
          },
        }
      : pino.destination({ fd: 2, sync: true });
    try {
      // The policy first: it validates LOG_LEVEL (with every other variable) before pino is handed it.
      const policy = loadPolicy(process.env);
      // Per-object log lines go to stderr and only from warn up unless LOG_LEVEL asks for more.
      const logger = createLogger({ level: logLevel(undefined, process.env.LOG_LEVEL), destination: logDestination });
      const opts: BackfillOptions = {
        bucket: args.bucket,
        ...(args.prefix ? { prefix: args.prefix } : {}),
        connection: { region: args.region, endpoint: args.endpoint, credentials: args.credentials },
        policy,
        logger,
        concurrency: args.concurrency,
        dryRun: args.dryRun,
        ...(args.checkpoint ? { checkpointFile: args.checkpoint } : {}),
        ...(args.report ? { reportFile: args.report } : {}),
        ...(args.reportFormat ? { reportFormat: args.reportFormat } : {}),
        ...(args.overwriteReport ? { overwriteReport: true } : {}),
        ...(args.manifest ? { manifestFile: args.manifest } : {}),
        signal: controller.signal,
        onStall: ({ operation, endpoint, waitedMs, timeoutMs }) => {
          // Said once, then at most once a minute: with many objects in flight every one of them stalls.
          const now = Date.now();
          if (now - lastStallWarning < 60_000) return;
          lastStallWarning = now;
          // On a terminal through logDestination, which clears the bar's row first and redraws the bar after.
          if (operation === 'InvokeFunction') {
            (tty ? logDestination : err).write(
              `oss-auto-encrypt backfill: Function Compute at ${endpoint} has not accepted an asynchronous invocation for ${Math.round(waitedMs / 1000)} s; still waiting ` +
                `(up to ${Math.round(timeoutMs / 1000)} s per attempt, ${attempts(policy.retry.maxAttempts)}: RETRY_MAX_ATTEMPTS). ` +
                'Check --fc-endpoint / --region / --account-id and the network; Ctrl-C stops now.\n',
            );
            return;
          }
          (tty ? logDestination : err).write(
            `oss-auto-encrypt backfill: ${endpoint} has not answered ${operation} for ${Math.round(waitedMs / 1000)} s; still waiting ` +
              `(up to ${Math.round(timeoutMs / 1000)} s per attempt, ${attempts(policy.retry.maxAttempts)}: OSS_TIMEOUT_MS, RETRY_MAX_ATTEMPTS). ` +
              'Check --endpoint / --region and the network; Ctrl-C stops now.\n',
          );
        },
        onProgress,
        progressIntervalMs: tty ? 250 : Math.round(args.progressInterval * 1000),
      };
      if (args.fanout) {
        // Loaded only for --fanout: @alicloud/fc2 costs ~0.1 s of start-up that a local backfill does not need.
        const { createFcInvoker } = require('../remote/fc-invoker') as typeof import('../remote/fc-invoker');
        const f = args.fanout;
        opts.fanout = {
          invoker: createFcInvoker({
            accountId: f.accountId,
            region: args.region,
            credentials: args.credentials,
            ...(f.endpoint ? { endpoint: f.endpoint } : {}),
            ...(f.service ? { service: f.service } : {}),
            timeoutMs: FANOUT_TIMEOUT_MS,
            endpointFlag: '--fc-endpoint',
          }),
          endpoint: f.endpoint ?? `https://${f.accountId}.${args.region}.fc.aliyuncs.com`,
          timeoutMs: FANOUT_TIMEOUT_MS,
          functionName: f.functionName,
          region: args.region,
          accountId: f.accountId,
          batchSize: f.batchSize,
        };
      }
      const summary = await runBackfill(opts);
      // An abandoned fan-out invocation (fc2 cannot cancel it) would hold the process until its timeout: exit now.
      if (summary.aborted && args.fanout) exitSoon(exitCode(summary));
      if (tty && lastWidth > 0) err.write('\n');
      if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        const extra = { aborted: summary.aborted, dryRun: summary.dryRun, ...(args.report ? { reportFile: args.report } : {}), ...(args.checkpoint ? { checkpointFile: args.checkpoint } : {}) };
        process.stdout.write(renderSummary(summary, extra) + '\n');
      }
      return exitCode(summary);
    } catch (e) {
      if (tty && lastWidth > 0) err.write('\n');
      if (e instanceof ConfigError) return reportError('backfill', e); // one line, exit 2, as the other commands
      if (controller.signal.aborted) {
        // The signal cut a request the run could not do without (e.g. the first listing page): that is the stop, not a failure.
        err.write(`oss-auto-encrypt backfill: stopped before the run finished${args.checkpoint ? `; rerun with --checkpoint ${args.checkpoint} to resume` : ''}\n`);
        if (args.fanout) exitSoon(130);
        return 130;
      }
      if (e instanceof AutoEncryptError) {
        err.write(`oss-auto-encrypt backfill: ${e.message}\n`);
        return e instanceof BackfillOptionsError || e instanceof FanoutTargetError ? 2 : 1;
      }
      throw e;
    } finally {
      removeSignalHandlers();
    }
  },
};
