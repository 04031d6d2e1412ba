/**
 * `oss-auto-encrypt audit`: flags → runAudit (src/audit/run.ts) → a terminal report, `--json`, `--html FILE`.
 * Progress on stderr like backfill's (a redrawn line on a terminal, a plain line every 10 s otherwise).
 * Exit codes: 0 done, 1 a run error or some HEADs failed (their objects are unknown), 2 bad flags, 130 stopped by a
 * signal (the partial report is still printed).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from './command';
import { onStopSignals } from './stop-signals';
import { loadPolicy } from '../config';
import { AutoEncryptError } from '../errors';
import { AuditOptionsError, AuditStoppedError } from '../audit/errors';
import { DEFAULT_AUDIT_CONCURRENCY, runAudit, type AuditOptions, type AuditProgress } from '../audit/run';
import { renderAuditProgress, renderAuditText } from '../audit/render-text';
import { renderAuditHtml } from '../audit/render-html';
import { escapeControl } from '../audit/format';

const HELP = `Usage: oss-auto-encrypt audit --bucket B [--manifest FILE | --prefix P [--sample N]] [options]
       npm run audit -- --bucket B [options]

How much of a bucket is not server-side encrypted, where (by key prefix and storage class), and what
encrypting the rest with \`backfill\` would cost.

Source (one of):
  --manifest FILE     an OSS inventory manifest.json (+ its CSV.gz data files): no object request at all;
                      the inventory rule must include the EncryptionStatus field
  (default)           list the bucket (--prefix P) and HEAD every object; also shows algorithms and KMS keys
  --sample N          with a listing: HEAD only N objects drawn uniformly and estimate the rest
                      (95% intervals shown); --seed S makes the draw repeatable (default 1)

Options:
  --bucket B          bucket to audit (required)
  --depth D           prefix levels of the breakdown (default 1)
  --json              print the report as JSON on stdout instead of the table
  --html FILE         also write a self-contained HTML page with the charts (no network needed to view it)
  --top N             prefixes shown in the terminal table (default 20; --json and --html list all)
  --region R          OSS region id (default: $ALIBABA_CLOUD_REGION)
  --endpoint E        OSS endpoint (default: $OSS_ENDPOINT, else https://oss-<region>.aliyuncs.com)
  --concurrency N     HEADs in flight, 1..1000 (default ${DEFAULT_AUDIT_CONCURRENCY}); also the backfill concurrency the estimate assumes
  --rtt-ms MS         time the backfill estimate with this round trip instead of measuring one
  --fanout-instances N  function instances at once the --fanout estimate assumes (default 100)
  --batch-size N      keys per fan-out event the estimate assumes (default 100)

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET (optional ALIBABA_CLOUD_SECURITY_TOKEN);
needed for a listing. With --manifest they are optional and only used to measure the round trip (three
ListObjects requests of one key each) for the time estimate.
Ctrl-C once stops after the HEADs in flight and prints what was seen (marked partial); twice exits at once.
`;

export interface AuditCliArgs {
  options: Omit<AuditOptions, 'policy' | 'signal' | 'onProgress'>;
  json: boolean;
  html?: string;
  top: number;
}

/** Pure: argv + env → arguments, or AuditOptionsError listing every problem. */
export function parseAuditArgs(argv: string[], env: Record<string, string | undefined>): AuditCliArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        bucket: { type: 'string' }, manifest: { type: 'string' }, prefix: { type: 'string' }, sample: { type: 'string' },
        seed: { type: 'string' }, depth: { type: 'string' }, json: { type: 'boolean' }, html: { type: 'string' },
        top: { type: 'string' }, region: { type: 'string' }, endpoint: { type: 'string' }, concurrency: { type: 'string' },
        'rtt-ms': { type: 'string' }, 'fanout-instances': { type: 'string' }, 'batch-size': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new AuditOptionsError([`${(err as Error).message} (see --help)`]);
  }
  const s = (k: string) => values[k] as string | undefined;
  const problems: string[] = [];
  const num = (flag: string, def: number | undefined, re = /^\d+$/): number | undefined => {
    const v = s(flag);
    if (v === undefined) return def;
    if (!re.test(v)) {
      problems.push(`--${flag} must be a ${re.source.includes('.') ? 'number' : 'whole number'}, got "${v}"`);
      return def;
    }
    return Number(v);
  };
  const bucket = s('bucket');
  if (!bucket) problems.push('--bucket is required');
  const manifest = s('manifest');
  const region = (s('region') ?? env.ALIBABA_CLOUD_REGION ?? '').replace(/^oss-/, '');
  const endpoint = s('endpoint') ?? env.OSS_ENDPOINT ?? (region ? `https://oss-${region}.aliyuncs.com` : '');
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const haveCreds = Boolean(accessKeyId && accessKeySecret);
  if (!manifest) {
    if (!region) problems.push('--region is required to list the bucket (or set ALIBABA_CLOUD_REGION), e.g. --region cn-hangzhou; or pass --manifest');
    if (!haveCreds) problems.push('credentials missing: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET to list the bucket, or pass --manifest');
  }
  if (s('seed') !== undefined && s('sample') === undefined) problems.push('--seed only applies with --sample');
  const sample = num('sample', undefined);
  const seed = num('seed', undefined);
  const depth = num('depth', 1);
  const top = num('top', 20) as number;
  const concurrency = num('concurrency', undefined);
  const rtt = num('rtt-ms', undefined, /^\d+(\.\d+)?$/);
  const instances = num('fanout-instances', 100) as number;
  const batchSize = num('batch-size', 100) as number;
  if (instances < 1) problems.push('--fanout-instances must be at least 1');
  if (batchSize < 1 || batchSize > 1000) problems.push('--batch-size must be 1..1000');
  if (problems.length) throw new AuditOptionsError(problems);
  const token = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  const connection = haveCreds && region
    ? { region, endpoint, credentials: { accessKeyId: accessKeyId as string, accessKeySecret: accessKeySecret as string, ...(token ? { securityToken: token } : {}) } }
    : undefined;
  return {
    options: {
      bucket: bucket as string,
      ...(manifest ? { manifestFile: manifest } : {}),
      ...(s('prefix') !== undefined ? { prefix: s('prefix') } : {}),
      ...(sample !== undefined ? { sample } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(depth !== undefined ? { depth } : {}),
      ...(connection ? { connection } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(rtt !== undefined ? { roundTripMs: rtt } : {}),
      fanout: { batchSize, instances },
    },
    json: values.json === true,
    ...(s('html') ? { html: s('html') } : {}),
    top,
  };
}

export const command: Command = {
  name: 'audit',
  summary: 'how much of a bucket is not encrypted, where, and what a backfill would cost',
  help: HELP,
  async run(argv) {
    const err = process.stderr;
    let args: AuditCliArgs;
    try {
      args = parseAuditArgs(argv, process.env);
    } catch (e) {
      if (e instanceof AutoEncryptError) {
        err.write(`oss-auto-encrypt audit: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    const controller = new AbortController();
    const removeSignalHandlers = onStopSignals((sig) => {
      err.write(args.options.manifestFile
        ? `\n${sig}: stopping the inventory read; the rows read so far are reported (again to exit at once)…\n`
        : `\n${sig}: stopping after the HEADs in flight (again to exit at once)…\n`);
      controller.abort();
    });
    const tty = err.isTTY === true;
    let lastWidth = 0;
    const onProgress = (p: AuditProgress) => {
      if (p.done) return;
      const line = renderAuditProgress(p);
      if (tty) {
        const cut = line.slice(0, Math.max(60, (err.columns || 120) - 1));
        err.write(`\r${cut}${' '.repeat(Math.max(0, lastWidth - cut.length))}`);
        lastWidth = cut.length;
      } else {
        err.write(line + '\n');
      }
    };
    try {
      const report = await runAudit({
        ...args.options,
        policy: loadPolicy(process.env),
        signal: controller.signal,
        onProgress,
        progressIntervalMs: tty ? 250 : 10_000,
      });
      if (tty && lastWidth > 0) err.write('\n');
      if (args.html) writeFileSync(args.html, renderAuditHtml(report));
      process.stdout.write(args.json ? JSON.stringify(report, null, 2) + '\n' : renderAuditText(report, { limit: args.top, ...(args.html ? { htmlFile: args.html } : {}) }) + '\n');
      if (report.headErrors > 0) err.write(`oss-auto-encrypt audit: ${report.headErrors} HEADs failed, so ${report.totals.unknownObjects} objects are unknown; the first: ${escapeControl(report.firstHeadError ?? '?')}. Check that the credentials may HEAD objects (oss:GetObject).\n`);
      return report.aborted ? 130 : report.headErrors > 0 ? 1 : 0;
    } catch (e) {
      if (tty && lastWidth > 0) err.write('\n');
      if (e instanceof AutoEncryptError) {
        err.write(`oss-auto-encrypt audit: ${e.message}\n`);
        return e instanceof AuditOptionsError ? 2 : e instanceof AuditStoppedError ? 130 : 1;
      }
      throw e;
    } finally {
      removeSignalHandlers();
    }
  },
};
