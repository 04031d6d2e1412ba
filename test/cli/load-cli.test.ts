/**
 * bin/load-cli.js: the CLI runs from a cached bundle that is never stale. Exercised on a scratch package laid out
 * like this one (bin/load-cli.js copied, a two-file src/cli, esbuild and tsx linked from this checkout), in real
 * child processes, so the real node_modules/.cache is never touched.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
let dir: string;

const write = (rel: string, text: string) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
};
const cli = (env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['-e', "require('./bin/load-cli.js').loadCli().main([]).then((c) => { process.exitCode = c; })"], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
const cache = () => join(dir, 'node_modules', '.cache', 'oss-auto-encrypt');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'load-cli-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(REPO, 'bin', 'load-cli.js'), join(dir, 'bin', 'load-cli.js'));
  write('package.json', JSON.stringify({ name: 'oss-auto-encrypt', private: true }));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { strict: true, module: 'commonjs', target: 'ES2022' } }));
  write('src/cli/version.ts', "export const VERSION: string = 'v1';\n");
  write('src/cli/main.ts', "import { VERSION } from './version';\nexport async function main(): Promise<number> { process.stdout.write(`${VERSION} ${__filename.includes('.cache') ? 'bundle' : 'source'}\\n`); return 0; }\n");
  mkdirSync(join(dir, 'node_modules'));
  for (const pkg of ['esbuild', 'tsx']) symlinkSync(join(REPO, 'node_modules', pkg), join(dir, 'node_modules', pkg));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('bin/load-cli.js', () => {
  it('builds the bundle on first use and runs from it', () => {
    const r = cli();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('v1 bundle\n');
    expect(existsSync(join(cache(), 'cli.js'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(cache(), 'cli.json'), 'utf8')) as { inputs: string[] };
    expect(manifest.inputs).toEqual(expect.arrayContaining(['src/cli/main.ts', 'src/cli/version.ts']));
  });

  it('rebuilds when a source changes, even to the same size with the old mtime', () => {
    const file = join(dir, 'src/cli/version.ts');
    const then = new Date('2026-01-01T00:00:00Z');
    utimesSync(file, then, then);
    expect(cli().stdout).toBe('v1 bundle\n');
    writeFileSync(file, "export const VERSION: string = 'v2';\n");
    utimesSync(file, then, then); // as tar or rsync -t could leave it
    expect(cli().stdout).toBe('v2 bundle\n');
  });

  it('rebuilds when a file the bundle imports is gone', () => {
    expect(cli().stdout).toBe('v1 bundle\n');
    write('src/cli/main.ts', "export async function main(): Promise<number> { process.stdout.write('no import\\n'); return 0; }\n");
    rmSync(join(dir, 'src/cli/version.ts'));
    expect(cli().stdout).toBe('no import\n');
  });

  it('does not rebuild when nothing changed', () => {
    cli();
    const before = statSync(join(cache(), 'cli.js')).mtimeMs;
    expect(cli().stdout).toBe('v1 bundle\n');
    expect(statSync(join(cache(), 'cli.js')).mtimeMs).toBe(before);
  });

  it('runs from the sources through tsx with OSS_AUTO_ENCRYPT_NO_BUNDLE=1, writing no cache', () => {
    const r = cli({ OSS_AUTO_ENCRYPT_NO_BUNDLE: '1' });
    expect(r.stdout).toBe('v1 source\n');
    expect(existsSync(cache())).toBe(false);
  });

  it('falls back to the sources when the cache cannot be written', () => {
    mkdirSync(join(dir, 'node_modules', '.cache'), { recursive: true });
    writeFileSync(cache(), 'a file where the cache directory would go');
    const r = cli();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('v1 source\n');
  });

  it('falls back to the sources when esbuild is not installed', () => {
    rmSync(join(dir, 'node_modules', 'esbuild'));
    expect(cli().stdout).toBe('v1 source\n');
  });

  it('reports a source that does not compile through tsx, with the file and line', () => {
    write('src/cli/version.ts', "export const VERSION: string = 'v1'\nexport const = ;\n");
    const r = cli();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/version\.ts:2/);
  });
});
