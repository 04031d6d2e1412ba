/**
 * The installed entry point, as `npx oss-auto-encrypt …` runs it after `npm ci` (no build): a real child process.
 * Every subcommand must load (each is required lazily) and print its help.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(__dirname, '..', '..', 'bin', 'oss-auto-encrypt.js');
const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

describe('bin/oss-auto-encrypt.js', () => {
  it('lists the commands with --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const name of ['replay', 'start', 'invoke', 'backfill', 'policy', 'local-oss']) expect(r.stdout).toContain(name);
  });

  it.each(['replay', 'start', 'invoke', 'backfill', 'policy', 'local-oss'])('loads %s and prints its help', (name) => {
    const r = run([name, '--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`oss-auto-encrypt ${name}`));
  });

  it('refuses an unknown command with exit 2 and the usage', () => {
    const r = run(['encrypt-everything']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "encrypt-everything"');
  });
});

describe('a reader that goes away (`oss-auto-encrypt replay | head -1`)', () => {
  it('ends with status 141, as on SIGPIPE, and no stack trace', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'replay'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Read the first chunk, then close our end, as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(stderr).not.toMatch(/EPIPE|at .*\(/);
    expect(code).toBe(141);
  });
});

describe('the cached CLI bundle', () => {
  it('renames no error class (errors print new.target.name, so a renamed class would print another name)', () => {
    expect(run(['--help']).status).toBe(0); // builds the bundle if needed
    const { readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const cache = join(__dirname, '..', '..', 'node_modules', '.cache', 'oss-auto-encrypt');
    const manifest = JSON.parse(readFileSync(join(cache, 'cli.json'), 'utf8')) as { bundle: string };
    const code = readFileSync(join(cache, manifest.bundle), 'utf8');
    // esbuild renames a class whose name another module's class already took: `FooError2 = class extends …`.
    expect(code.match(/\b[A-Z]\w*Error\d+ = class\b/g) ?? []).toEqual([]);
  });
});
