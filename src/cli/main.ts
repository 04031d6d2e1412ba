import type { Command } from './command';

/** Subcommands are loaded lazily so that `replay` does not pay for `invoke`'s SDK, and so on. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  replay: { summary: 'run the handler on sample events (embedded local OSS by default)', load: async () => (await import('./replay')).command },
  start: { summary: 'local OSS + trigger: uploads get encrypted as they arrive', load: async () => (await import('./start')).command },
  invoke: { summary: 'send events to the deployed function with @alicloud/fc2', load: async () => (await import('./invoke')).command },
  backfill: { summary: 'encrypt objects that existed before the function', load: async () => (await import('./backfill')).command },
  policy: { summary: 'print the least-privilege RAM policy for the configured SSE policy', load: async () => (await import('./policy')).command },
  'local-oss': { summary: 'serve the local OSS emulator', load: async () => (await import('./local-oss')).command },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: oss-auto-encrypt <command> [options]', '', 'Commands:', ...rows, '', 'Run `oss-auto-encrypt <command> --help` for a command\'s options.'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
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
  const command = await entry.load();
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
