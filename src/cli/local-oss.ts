/**
 * `oss-auto-encrypt local-oss`: serve the local OSS until SIGINT/SIGTERM. Prints exactly one JSON line with the
 * endpoint and credentials on stdout (so scripts can `read` it); everything else goes to stderr.
 */
import type { Command } from './command';

export interface LocalOssCliOptions {
  host: string; port: number; buckets: string[]; dataDir?: string;
  kmsKeys: Array<{ id: string; state: 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport' }>;
  kmsDisabled: boolean; latencyMs: number; faultRate: number; seed: number; region: string;
  accessKeyId?: string; accessKeySecret?: string;
  restoreDelayMs: number;
  deny: Array<{ action: string; accessKeyId?: string }>;
}

export class LocalOssUsageError extends Error {
  readonly code = 'USAGE';
}

const HELP = `Usage: oss-auto-encrypt local-oss [options]

Serve a local, signature-checking Alibaba Cloud OSS emulator. Prints one JSON line
{"endpoint","region","accessKeyId","accessKeySecret","buckets","kmsKeyIds"} on stdout, then serves until
SIGINT/SIGTERM.

Options:
  --port N              port to listen on (default 9000; 0 = any free port)
  --host H              address to listen on (default 127.0.0.1)
  --bucket NAME         create this bucket at start (repeatable)
  --data-dir D          persist objects and metadata under D (default: memory only)
  --kms-key ID[:STATE]  register a KMS key; STATE is Enabled (default), Disabled, PendingDeletion or PendingImport
                        (repeatable)
  --kms-disabled        act as an account where KMS is not activated (KMS requests → 403 KmsServiceNotEnabled)
  --latency-ms N        delay every response by N ms
  --fault-rate P        answer a fraction P (0..1) of requests with 503 ServiceUnavailable
  --seed N              seed of the fault PRNG (default 1)
  --region R            region id (default cn-hangzhou; "oss-cn-hangzhou" also accepted; clients use region "oss-R")
  --access-key-id ID    fixed credentials instead of random ones (both or neither)
  --access-key-secret S
  --restore-delay-ms N  how long a RestoreObject stays ongoing-request="true" (default 0: restored at once)
  --deny ACTION[@AK]    answer 403 AccessDenied, as an explicit RAM Deny would, to requests needing ACTION
                        (e.g. oss:GetObjectAcl), for every credential or only AccessKeyId AK (repeatable)
`;

const STATES = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport'] as const;

/** Pure flag parsing (no side effects), so tests can check it without starting a server. */
export function parseLocalOssArgs(argv: string[]): LocalOssCliOptions {
  const o: LocalOssCliOptions = { host: '127.0.0.1', port: 9000, buckets: [], kmsKeys: [], kmsDisabled: false, latencyMs: 0, faultRate: 0, seed: 1, region: 'cn-hangzhou', restoreDelayMs: 0, deny: [] };
  const num = (flag: string, raw: string | undefined, min: number, max: number): number => {
    const n = Number(raw);
    if (raw === undefined || raw === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new LocalOssUsageError(`${flag} needs a number from ${min} to ${max}, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes('=') ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)] : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new LocalOssUsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--port': o.port = num(name, value(), 0, 65535); if (!Number.isInteger(o.port)) throw new LocalOssUsageError('--port needs an integer'); break;
      case '--host': o.host = value(); break;
      case '--bucket': {
        const b = value();
        // The OSS naming rule, checked here so a typo is one line, not a stack from the server's bucket table.
        if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(b)) {
          throw new LocalOssUsageError(`--bucket "${b}" is not a valid OSS bucket name (3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit)`);
        }
        o.buckets.push(b);
        break;
      }
      case '--data-dir': o.dataDir = value(); break;
      case '--kms-key': {
        const v = value();
        const colon = v.lastIndexOf(':');
        const id = colon < 0 ? v : v.slice(0, colon);
        const state = colon < 0 ? 'Enabled' : v.slice(colon + 1);
        if (!id) throw new LocalOssUsageError(`--kms-key needs ID[:STATE], got "${v}"`);
        if (!(STATES as readonly string[]).includes(state)) throw new LocalOssUsageError(`--kms-key state must be ${STATES.join(', ')}, got "${state}"`);
        o.kmsKeys.push({ id, state: state as LocalOssCliOptions['kmsKeys'][number]['state'] });
        break;
      }
      case '--kms-disabled': o.kmsDisabled = true; break;
      case '--latency-ms': o.latencyMs = num(name, value(), 0, 600_000); break;
      case '--fault-rate': o.faultRate = num(name, value(), 0, 1); break;
      case '--seed': o.seed = num(name, value(), 0, 2 ** 32 - 1); break;
      // ali-oss spells the region `oss-cn-hangzhou`; the server wants the region id (startLocalOss strips it too).
      case '--region': o.region = value().replace(/^oss-/, ''); break;
      case '--access-key-id': o.accessKeyId = value(); break;
      case '--access-key-secret': o.accessKeySecret = value(); break;
      case '--restore-delay-ms': o.restoreDelayMs = num(name, value(), 0, 7 * 24 * 3600 * 1000); break;
      case '--deny': {
        const v = value();
        const at = v.indexOf('@');
        const action = at < 0 ? v : v.slice(0, at);
        if (!/^(\*|oss:[A-Za-z*]+)$/.test(action)) throw new LocalOssUsageError(`--deny needs ACTION[@ACCESS_KEY_ID] with ACTION like oss:GetObjectAcl, got "${v}"`);
        o.deny.push(at < 0 ? { action } : { action, accessKeyId: v.slice(at + 1) });
        break;
      }
      default: throw new LocalOssUsageError(`unknown option "${flag}" (see --help)`);
    }
  }
  if ((o.accessKeyId === undefined) !== (o.accessKeySecret === undefined)) {
    throw new LocalOssUsageError('--access-key-id and --access-key-secret go together');
  }
  return o;
}

export const command: Command = {
  name: 'local-oss',
  summary: 'serve the local OSS emulator',
  help: HELP,
  async run(argv) {
    let opts: LocalOssCliOptions;
    try {
      opts = parseLocalOssArgs(argv);
    } catch (err) {
      if (err instanceof LocalOssUsageError) { process.stderr.write(`local-oss: ${err.message}\n`); return 2; }
      throw err;
    }
    const { startLocalOss } = require('../local-oss') as typeof import('../local-oss'); // require: see main.ts
    let oss: Awaited<ReturnType<typeof startLocalOss>>;
    try {
      oss = await startLocalOss({
        host: opts.host, port: opts.port, region: opts.region, buckets: opts.buckets, dataDir: opts.dataDir,
        kms: { enabled: !opts.kmsDisabled, keys: opts.kmsKeys }, latencyMs: opts.latencyMs, seed: opts.seed,
        faults: opts.faultRate > 0 ? [{ op: '*', rate: opts.faultRate, kind: 'http503' }] : undefined,
        accessKeyId: opts.accessKeyId, accessKeySecret: opts.accessKeySecret, restoreDelayMs: opts.restoreDelayMs, deny: opts.deny,
      });
    } catch (err) {
      const problem = listenProblem(err, opts);
      if (!problem) throw err;
      process.stderr.write(`local-oss: ${problem}\n`);
      return 2;
    }
    process.stdout.write(JSON.stringify({
      endpoint: oss.endpoint, region: oss.region, accessKeyId: oss.accessKeyId, accessKeySecret: oss.accessKeySecret,
      buckets: oss.buckets, kmsKeyIds: oss.kmsKeyIds,
    }) + '\n');
    await new Promise<void>((resolve) => {
      const stop = (sig: NodeJS.Signals) => { process.stderr.write(`local-oss: ${sig}, shutting down\n`); resolve(); };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await oss.close();
    return 0;
  },
};

/** The listen failures a user fixes with a flag, as one line; undefined for anything else (a bug keeps its stack). */
function listenProblem(err: unknown, opts: LocalOssCliOptions): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  const at = `${opts.host}:${opts.port}`;
  if (code === 'EADDRINUSE') return `cannot listen on ${at}: the port is in use; pick another --port (0 = any free port)`;
  if (code === 'EACCES') return `cannot listen on ${at}: permission denied (ports below 1024 need privileges); pick another --port`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot listen on ${at}: --host "${opts.host}" is not an address of this machine`;
  return undefined;
}
