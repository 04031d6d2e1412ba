import { relative } from 'node:path';
import type { Command } from './command';
import { intFlag, parseFlags } from '../local-run/args';
import { cloudCredentials, reportError } from '../local-run/cli-support';
import { UsageError } from '../local-run/errors';
import { loadEventFiles } from '../local-run/event-files';
import { createFcInvoker, type InvokeResult } from '../remote/fc-invoker';

/** FC's own share of a synchronous call (scheduling, cold start, network) on top of the function's run time. */
const TIMEOUT_MARGIN_S = 30;
/** s.yaml's default `timeout` (TIMEOUT unset). */
const SYNC_DEFAULT_S = 900;
/** FC's largest function timeout: 1..86400 s in devsapp/fc3's schema, as src/deploy/validate-s-yaml.ts checks. */
const MAX_TIMEOUT_S = 86_400;

const HELP = `Usage: oss-auto-encrypt invoke --function NAME [options] [event files or directories…]

Sends each event file (all of events/ when none are named) to the deployed function with
@alicloud/fc2, prints the function's returned summary and its decoded log tail, and exits non-zero
when FC reports a function error (x-fc-error-type).

Options:
  --function NAME     function name (required)
  --service NAME      FC 2.0 service; without it the FC 3.0 API (2023-03-30) is used
  --qualifier Q       version or alias (default LATEST)
  --region ID         region (default ALIBABA_CLOUD_REGION or cn-hangzhou)
  --account-id ID     Alibaba Cloud account id (default ALIBABA_CLOUD_ACCOUNT_ID)
  --async             asynchronous invocation (x-fc-invocation-type: Async): no result, no log tail
  --endpoint URL      FC endpoint (default https://<account-id>.<region>.fc.aliyuncs.com)
  --timeout SECONDS   how long to wait for FC's answer (default: the function's timeout as s.yaml deploys it,
                      TIMEOUT or 900, plus ${TIMEOUT_MARGIN_S} s for FC's own overhead); a timeout is reported as one,
                      and does not stop the function
  --json              print one JSON result per event file
  -h, --help          this help

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET, optional
ALIBABA_CLOUD_SECURITY_TOKEN (needs fc:InvokeFunction on the function).

Exit status: 0 all invocations succeeded, 1 a function error or a rejected request, 2 bad input.`;

interface Flags { function?: string; service?: string; qualifier?: string; region?: string; 'account-id'?: string; async?: boolean; endpoint?: string; json?: boolean; timeout?: string }

/**
 * How long to wait for FC: --timeout, else the function's own timeout as s.yaml deploys it (TIMEOUT, default 900 s)
 * plus a margin, so a long synchronous run is never cut short by the client while FC still lets the function run.
 */
export function invokeTimeoutMs(flag: string | undefined, env: Record<string, string | undefined>): number {
  if (flag !== undefined) return (intFlag('timeout', flag, 1, MAX_TIMEOUT_S + TIMEOUT_MARGIN_S) as number) * 1000;
  const deployed = env.TIMEOUT?.trim();
  if (deployed) {
    const n = /^\d+$/.test(deployed) ? Number(deployed) : NaN;
    if (!(n >= 1 && n <= MAX_TIMEOUT_S)) throw new UsageError(`TIMEOUT="${deployed}" (the function's timeout s.yaml deploys) must be whole seconds from 1 to ${MAX_TIMEOUT_S}; or pass --timeout SECONDS`);
    return (n + TIMEOUT_MARGIN_S) * 1000;
  }
  return (SYNC_DEFAULT_S + TIMEOUT_MARGIN_S) * 1000;
}

export const command: Command = {
  name: 'invoke',
  summary: 'send events to the deployed function with @alicloud/fc2',
  help: HELP,
  async run(argv) {
    try {
      const { flags, positionals } = parseFlags<Flags>('invoke', argv, {
        function: { type: 'string' }, service: { type: 'string' }, qualifier: { type: 'string' }, region: { type: 'string' },
        'account-id': { type: 'string' }, async: { type: 'boolean' }, endpoint: { type: 'string' }, json: { type: 'boolean' },
        timeout: { type: 'string' },
      });
      if (!flags.function) throw new UsageError('--function NAME is required (the deployed function, e.g. the name in s.yaml)');
      const credentials = cloudCredentials(process.env);
      if (!credentials) throw new UsageError('no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (and ALIBABA_CLOUD_SECURITY_TOKEN for STS keys)');
      const accountId = flags['account-id'] ?? process.env.ALIBABA_CLOUD_ACCOUNT_ID;
      if (!accountId) throw new UsageError('--account-id ID (or ALIBABA_CLOUD_ACCOUNT_ID) is required: FC endpoints are per account');
      const timeoutMs = invokeTimeoutMs(flags.timeout, process.env);
      const files = await loadEventFiles(positionals);
      const invoker = createFcInvoker({
        accountId, credentials, region: flags.region ?? process.env.ALIBABA_CLOUD_REGION ?? 'cn-hangzhou',
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}), ...(flags.service ? { service: flags.service } : {}),
        ...(flags.qualifier ? { qualifier: flags.qualifier } : {}), timeoutMs,
      });
      let functionErrors = 0;
      for (const file of files) {
        const res = await invoker.invoke(flags.function, file.raw, { async: flags.async ?? false });
        if (res.errorType) functionErrors++;
        process.stdout.write(flags.json ? JSON.stringify({ file: file.path, ...res }) + '\n' : formatResult(relative(process.cwd(), file.path) || file.path, flags.function, res));
      }
      return functionErrors ? 1 : 0;
    } catch (err) {
      return reportError('invoke', err);
    }
  },
};

function formatResult(file: string, fn: string, res: InvokeResult): string {
  const lines = [`== ${file} → ${fn}  (${res.status === 202 ? 'async, accepted' : 'sync'}; request ${res.requestId ?? '?'})`];
  if (res.errorType) {
    let detail = res.payload;
    try {
      const body = JSON.parse(res.payload) as { errorType?: string; errorMessage?: string };
      detail = `${body.errorType ?? ''}: ${body.errorMessage ?? res.payload}`;
    } catch { /* not JSON: print as is */ }
    lines.push(`FUNCTION ERROR (${res.errorType}) ${detail}`);
  } else if (res.status !== 202) {
    lines.push('result:', indent(pretty(res.payload)));
  }
  if (res.logTail) lines.push('log tail:', indent(res.logTail.trimEnd()));
  return lines.join('\n') + '\n\n';
}

function pretty(payload: string): string {
  try { return JSON.stringify(JSON.parse(payload), null, 2); } catch { return payload; }
}

function indent(s: string): string {
  return s.split('\n').map((l) => `  ${l}`).join('\n');
}
