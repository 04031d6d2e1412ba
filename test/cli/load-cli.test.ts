/**
 * bin/load-cli.js: the CLI runs from a cached bundle that is never stale. Exercised on a scratch package laid out
 * like this one (bin/load-cli.js copied, a small src/cli, a fake package, esbuild and tsx linked from this checkout),
 * in real child processes, so the real node_modules/.cache is never touched.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');
let base: string;
let dir: string;

const write = (rel: string, text: string) => {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
};
const RUN = "require('./bin/load-cli.js').loadCli().then((c) => c.main([])).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(String(e.stack)); process.exitCode = 1; })";
const cli = (env: Record<string, string> = {}, preload?: string) =>
  spawnSync(process.execPath, [...(preload ? ['-r', preload] : []), '-e', RUN], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });
const cache = () => join(dir, 'node_modules', '.cache', 'oss-auto-encrypt');
/**
 * A preload file that, the first time the child reads a file whose path ends with `readSuffix`, writes `content` to
 * `writePath` right after the read: an edit landing while the build runs, at a chosen point.
 */
const writeAfterRead = (name: string, readSuffix: string, writePath: string, content: string): string => {
  const preload = join(base, name);
  writeFileSync(preload, `
    const fs = require('fs');
    const read = fs.readFileSync;
    let done = false;
    fs.readFileSync = function (p, ...rest) {
      const data = read.call(this, p, ...rest);
      if (!done && String(p).endsWith(${JSON.stringify(readSuffix)})) { done = true; fs.writeFileSync(${JSON.stringify(writePath)}, ${JSON.stringify(content)}); }
      return data;
    };`);
  return preload;
};
/** Runs `before`, then rewrites `file` with `content` under the same old mtime (as tar, rsync -t or cp -p could). */
const editKeepingMtime = (file: string, content: string, before: () => void): void => {
  const then = new Date('2026-01-01T00:00:00Z');
  utimesSync(file, then, then);
  before();
  writeFileSync(file, content);
  utimesSync(file, then, then);
};
const bundles = () => readdirSync(cache()).filter((f) => /^cli-[0-9a-f]+\.js$/.test(f));
const MAIN = (imports: string, expr: string) =>
  `${imports}\nexport async function main(): Promise<number> { process.stdout.write(\`\${${expr}} \${__filename.includes('.cache') ? 'bundle' : 'source'}\\n\`); return 0; }\n`;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'load-cli-'));
  dir = join(base, 'pkg');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync(join(REPO, 'bin', 'load-cli.js'), join(dir, 'bin', 'load-cli.js'));
  write('package.json', JSON.stringify({ name: 'oss-auto-encrypt', private: true }));
  write('tsconfig.json', JSON.stringify({ compilerOptions: { strict: true, module: 'commonjs', target: 'ES2022' } }));
  write('src/cli/version.ts', "export const VERSION: string = 'v1';\n");
  write('src/cli/main.ts', MAIN("import { VERSION } from './version';", 'VERSION'));
  for (const pkg of ['esbuild', 'tsx']) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', pkg), join(dir, 'node_modules', pkg));
  }
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('bin/load-cli.js', () => {
  it('builds the bundle on first use, names it by its fingerprint, and runs from it', () => {
    const r = cli();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('v1 bundle\n');
    const manifest = JSON.parse(readFileSync(join(cache(), 'cli.json'), 'utf8')) as { inputs: string[]; bundle: string; hash: string };
    expect(manifest.inputs).toEqual(expect.arrayContaining(['src/cli/main.ts', 'src/cli/version.ts']));
    expect(manifest.bundle).toBe(`cli-${manifest.hash.slice(0, 32)}.js`);
    expect(bundles()).toEqual([manifest.bundle]);
  });

  it('does not rebuild when nothing changed', () => {
    cli();
    const before = statSync(join(cache(), 'cli.json')).mtimeMs;
    expect(cli().stdout).toBe('v1 bundle\n');
    expect(statSync(join(cache(), 'cli.json')).mtimeMs).toBe(before);
  });

  it('rebuilds when a source changes, even to the same size with the old mtime', () => {
    editKeepingMtime(join(dir, 'src/cli/version.ts'), "export const VERSION: string = 'v2';\n", () => expect(cli().stdout).toBe('v1 bundle\n'));
    expect(cli().stdout).toBe('v2 bundle\n');
  });

  it('a save while the bundle is being built is noticed by the next start (what was compiled is what is recorded)', () => {
    // The save lands right after the build read version.ts, before anything else could look at it.
    const file = join(dir, 'src/cli/version.ts');
    const preload = writeAfterRead('save-during-build.js', 'src/cli/version.ts', file, "export const VERSION: string = 'v2';\n");
    expect(cli({}, preload).stdout).toBe('v1 bundle\n'); // built and run from what esbuild read
    expect(cli().stdout).toBe('v2 bundle\n');
    expect(cli().stdout).toBe('v2 bundle\n');
  });

  it('a manifest written late by a build of older sources never pairs with a newer bundle', () => {
    expect(cli().stdout).toBe('v1 bundle\n');
    const oldManifest = readFileSync(join(cache(), 'cli.json'));
    write('src/cli/version.ts', "export const VERSION: string = 'v2';\n");
    expect(cli().stdout).toBe('v2 bundle\n');
    writeFileSync(join(cache(), 'cli.json'), oldManifest); // the slower build's rename landing last
    expect(cli().stdout).toBe('v2 bundle\n');
  });

  it('rebuilds when a new file would now win resolution (src/cli/version.ts next to src/cli/version/index.ts)', () => {
    rmSync(join(dir, 'src/cli/version.ts'));
    write('src/cli/version/index.ts', "export const VERSION: string = 'from version/index.ts';\n");
    expect(cli().stdout).toBe('from version/index.ts bundle\n');
    write('src/cli/version.ts', "export const VERSION: string = 'from version.ts';\n");
    expect(cli().stdout).toBe('from version.ts bundle\n');
  });

  it('a file added while the bundle is being built, that wins resolution, is in the bundle or forces the next build', () => {
    rmSync(join(dir, 'src/cli/version.ts'));
    write('src/cli/version/index.ts', "export const VERSION: string = 'from version/index.ts';\n");
    // A checkout that adds src/cli/version.ts just after the build read version/index.ts.
    const preload = writeAfterRead('add-during-build.js', 'version/index.ts', join(dir, 'src/cli/version.ts'), "export const VERSION: string = 'from version.ts';\n");
    cli({}, preload);
    expect(cli().stdout).toBe('from version.ts bundle\n');
    expect(cli().stdout).toBe('from version.ts bundle\n');
  });

  it('a package.json among our sources that picks the file of a directory import is part of the fingerprint', () => {
    rmSync(join(dir, 'src/cli/version.ts'));
    write('src/cli/version/a.ts', "export const VERSION: string = 'from a.ts';\n");
    write('src/cli/version/b.ts', "export const VERSION: string = 'from b.ts';\n");
    write('src/cli/version/package.json', JSON.stringify({ main: 'a.ts' }));
    expect(cli().stdout).toBe('from a.ts bundle\n');
    write('src/cli/version/package.json', JSON.stringify({ main: 'b.ts' }));
    expect(cli().stdout).toBe('from b.ts bundle\n');
  });

  it('a tsconfig that another extends is part of the fingerprint', () => {
    write('src/cli/version2.ts', "export const VERSION: string = 'v2';\n");
    write('tsconfig.json', JSON.stringify({ extends: './tsconfig.base.json' }));
    write('tsconfig.base.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@ver': ['src/cli/version.ts'] } } }));
    write('src/cli/main.ts', MAIN("import { VERSION } from '@ver';", 'VERSION'));
    expect(cli().stdout).toBe('v1 bundle\n');
    write('tsconfig.base.json', JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '@ver': ['src/cli/version2.ts'] } } }));
    expect(cli().stdout).toBe('v2 bundle\n');
  });

  it('a bundle removed between the check and the load: this start runs from the sources', () => {
    expect(cli().stdout).toBe('v1 bundle\n');
    // Another start's clean-up deleting it right after this one found it fresh.
    const preload = join(base, 'removed-meanwhile.js');
    writeFileSync(preload, `
      const fs = require('fs');
      const exists = fs.existsSync;
      fs.existsSync = function (p) {
        const r = exists.call(this, p);
        if (r && /cli-[0-9a-f]+\\.js$/.test(String(p))) fs.unlinkSync(p);
        return r;
      };`);
    const r = cli({}, preload);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('v1 source\n');
  });

  describe('packages', () => {
    beforeEach(() => {
      write('node_modules/dep/package.json', JSON.stringify({ name: 'dep', main: 'a.js' }));
      write('node_modules/dep/a.js', "module.exports = 'dep a ' + require('inner');\n");
      write('node_modules/dep/b.js', "module.exports = 'dep b';\n");
      write('node_modules/inner/package.json', JSON.stringify({ name: 'inner' }));
      write('node_modules/inner/index.js', "module.exports = 'hoisted';\n");
      write('src/cli/main.ts', MAIN("import dep = require('dep');", 'dep'));
    });

    it('rebuilds when a second version is nested under the package that requires it, as npm does', () => {
      expect(cli().stdout).toBe('dep a hoisted bundle\n');
      write('node_modules/dep/node_modules/inner/package.json', JSON.stringify({ name: 'inner' }));
      write('node_modules/dep/node_modules/inner/index.js', "module.exports = 'nested';\n");
      expect(cli().stdout).toBe('dep a nested bundle\n');
    });

    it('rebuilds when a package.json changes which file is the package', () => {
      expect(cli().stdout).toBe('dep a hoisted bundle\n');
      write('node_modules/dep/package.json', JSON.stringify({ name: 'dep', main: 'b.js' }));
      expect(cli().stdout).toBe('dep b bundle\n');
    });

    it('rebuilds when a package file changes with the same size and mtime', () => {
      editKeepingMtime(join(dir, 'node_modules/inner/index.js'), "module.exports = 'HOISTED';\n", () => expect(cli().stdout).toBe('dep a hoisted bundle\n'));
      expect(cli().stdout).toBe('dep a HOISTED bundle\n');
    });

    it('a package.json rewritten while the bundle is being built (npm install meanwhile) forces the next build', () => {
      const preload = writeAfterRead('npm-during-build.js', 'dep/a.js', join(dir, 'node_modules/dep/package.json'), JSON.stringify({ name: 'dep', main: 'b.js' }));
      cli({}, preload);
      expect(cli().stdout).toBe('dep b bundle\n');
    });

    it('a linked package (npm link, file:) re-pointed, or its package.json outside the checkout changed, forces a build', () => {
      for (const v of ['1', '2']) {
        mkdirSync(join(base, `vendor/dep-v${v}`), { recursive: true });
        writeFileSync(join(base, `vendor/dep-v${v}/package.json`), JSON.stringify({ name: 'dep', main: 'index.js' }));
        writeFileSync(join(base, `vendor/dep-v${v}/index.js`), `module.exports = 'linked v${v}';\n`);
        writeFileSync(join(base, `vendor/dep-v${v}/other.js`), `module.exports = 'linked v${v} other';\n`);
      }
      rmSync(join(dir, 'node_modules/dep'), { recursive: true });
      symlinkSync(join(base, 'vendor/dep-v1'), join(dir, 'node_modules/dep'));
      expect(cli().stdout).toBe('linked v1 bundle\n');
      writeFileSync(join(base, 'vendor/dep-v1/package.json'), JSON.stringify({ name: 'dep', main: 'other.js' }));
      expect(cli().stdout).toBe('linked v1 other bundle\n');
      rmSync(join(dir, 'node_modules/dep'));
      symlinkSync(join(base, 'vendor/dep-v2'), join(dir, 'node_modules/dep'));
      expect(cli().stdout).toBe('linked v2 bundle\n');
      // Files next to the checkout (reports, other worktrees) are not inputs.
      const before = statSync(join(cache(), 'cli.json')).mtimeMs;
      writeFileSync(join(base, 'report.csv'), 'key,outcome\r\n');
      expect(cli().stdout).toBe('linked v2 bundle\n');
      expect(statSync(join(cache(), 'cli.json')).mtimeMs).toBe(before);
    });

    it('a package left external is required as Node resolves it from the requiring file (a nested copy wins)', () => {
      // iconv-lite is external (urllib requires it lazily); here dep requires it and has its own nested copy.
      write('node_modules/iconv-lite/package.json', JSON.stringify({ name: 'iconv-lite' }));
      write('node_modules/iconv-lite/index.js', "module.exports = 'hoisted iconv-lite';\n");
      write('node_modules/dep/node_modules/iconv-lite/package.json', JSON.stringify({ name: 'iconv-lite' }));
      write('node_modules/dep/node_modules/iconv-lite/index.js', "module.exports = 'nested iconv-lite';\n");
      write('node_modules/dep/a.js', "module.exports = require('iconv-lite');\n");
      expect(cli({ OSS_AUTO_ENCRYPT_NO_BUNDLE: '1' }).stdout).toBe('nested iconv-lite source\n');
      expect(cli().stdout).toBe('nested iconv-lite bundle\n');
    });
  });

  it('runs from the sources through tsx with OSS_AUTO_ENCRYPT_NO_BUNDLE=1, writing no cache', () => {
    const r = cli({ OSS_AUTO_ENCRYPT_NO_BUNDLE: '1' });
    expect(r.stdout).toBe('v1 source\n');
    expect(existsSync(cache())).toBe(false);
  });

  it('falls back to the sources, without building, when the cache cannot be written', () => {
    mkdirSync(join(dir, 'node_modules', '.cache'), { recursive: true });
    writeFileSync(cache(), 'a file where the cache directory would go');
    // The check must come before a build, so no start pays for a build that cannot be kept.
    const preload = join(base, 'no-build.js');
    writeFileSync(preload, `
      const Module = require('module');
      const load = Module._load;
      Module._load = function (request, ...rest) {
        if (/esbuild[\\/]lib[\\/]main\\.js$/.test(request)) process.stderr.write('a build was attempted');
        return load.call(this, request, ...rest);
      };`);
    const r = cli({}, preload);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('v1 source\n');
  });

  it('falls back to the sources when esbuild is not installed', () => {
    rmSync(join(dir, 'node_modules', 'esbuild'));
    expect(cli().stdout).toBe('v1 bundle\n'.replace('bundle', 'source'));
  });

  it('uses an esbuild hoisted above the package (an npm workspace)', () => {
    mkdirSync(join(base, 'node_modules'));
    renameSync(join(dir, 'node_modules', 'esbuild'), join(base, 'node_modules', 'esbuild'));
    expect(cli().stdout).toBe('v1 bundle\n');
  });

  it('stack traces from the bundle name the source file and line', () => {
    write('src/cli/main.ts', "export async function main(): Promise<number> {\n  throw new Error('boom');\n}\n");
    const r = cli();
    expect(r.stderr).toMatch(/Error: boom\n\s+at (Object\.)?main \(.*src\/cli\/main\.ts:2:/);
  });

  it('reports a source that does not compile through tsx, with the file and line', () => {
    write('src/cli/version.ts', "export const VERSION: string = 'v1'\nexport const = ;\n");
    const r = cli();
    expect(r.status).not.toBe(0);
    // Said once by the loader, then reported in full by tsx.
    expect(r.stderr).toMatch(/^oss-auto-encrypt: could not bundle the CLI \(src\/cli\/version\.ts:2: .*\); running from the sources through tsx\n/);
    expect(r.stderr).toMatch(/version\.ts:2/);
  });
});
