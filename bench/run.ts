/**
 * `npm run bench`: runs every bench/*.bench.ts in turn (or only those named on the command line,
 * e.g. `npm run bench -- backfill`). Each module exports `run(): Promise<void>` and prints its own
 * figures; comparisons are always measured side by side within the same run.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  if (files.length === 0) throw new Error(`no benchmark matches ${only.join(', ') || '*.bench.ts'}`);
  for (const file of files) {
    process.stdout.write(`\n=== ${file.replace(/\.bench\.ts$/, '')} ===\n`);
    const mod = (await import(join(__dirname, file))) as { run: () => Promise<void> };
    await mod.run();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
