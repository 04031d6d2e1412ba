import type { Command } from './command';

/**
 * Subcommands are loaded lazily so that `replay` does not pay for `invoke`'s SDK, and so on. With require(), not
 * import(): under tsx's CommonJS hook (bin/) import() goes to Node's ESM loader, which cannot resolve `./replay`.
 */
const COMMANDS: Record<string, { summary: string; load: () => Command }> = {
  replay: { summary: 'run the handler on sample events (embedded local OSS by default)', load: () => (require('./replay') as typeof import('./replay')).command },
  start: { summary: 'local OSS + trigger: uploads get encrypted as they arrive', load: () => (require('./start') as typeof import('./start')).command },
  invoke: { summary: 'send events to the deployed function with @alicloud/fc2', load: () => (require('./invoke') as typeof import('./invoke')).command },
  backfill: { summary: 'encrypt objects that existed before the function', load: () => (require('./backfill') as typeof import('./backfill')).command },
  audit: { summary: 'how much of a bucket is not encrypted, where, and what a backfill would cost', load: () => (require('./audit') as typeof import('./audit')).command },
  doctor: { summary: 'check bucket, keys, policy, function, role and trigger in your own account', load: () => (require('./doctor') as typeof import('./doctor')).command },
  policy: { summary: 'print the least-privilege RAM policy for the configured SSE policy', load: () => (require('./policy') as typeof import('./policy')).command },
  'local-oss': { summary: 'serve the local OSS emulator', load: () => (require('./local-oss') as typeof import('./local-oss')).command },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: oss-auto-encrypt <command> [options]', '', 'Commands:', ...rows, '', 'Run `oss-auto-encrypt <command> --help` for a command\'s options.'].join('\n');
}

/** A reader that went away (`… | head`): stop as a program killed by SIGPIPE does (status 141), without a stack trace. */
function onStdoutError(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  process.exit(128 + 13);
}

/** Once per process, however often main() runs in it. */
function exitOnClosedStdout(): void {
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
}

export async function main(argv: string[]): Promise<number> {
  exitOnClosedStdout();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`oss-auto-encrypt: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  const command = entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help.trimEnd() + '\n');
    return 0;
  }
  return command.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exitCode = 1; },
  );
}
