/**
 * The environment variables the deployed function reads, found in its source. src/config.ts does not
 * (yet) export a list of names, so this scans the function's modules for the config reader's calls
 * (`r.raw('X')`, `r.int('X', …)`, …) and direct `env.X` / `env['X']` reads. Platform-provided
 * variables (FC_*, ALIBABA_CLOUD_* credentials for local runs) are not the deployer's to pass.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
/** The function's code (the bundle's inputs), per the project's module map. */
const FUNCTION_SOURCES = ['src/config.ts', 'src/log.ts', 'src/errors.ts', 'src/function', 'src/core', 'src/event', 'src/oss'];

function files(rel: string): string[] {
  const abs = join(ROOT, rel);
  if (!existsSync(abs)) return [];
  if (abs.endsWith('.ts')) return [abs];
  return readdirSync(abs).filter((f) => f.endsWith('.ts')).map((f) => join(abs, f));
}

const PATTERNS = [
  /\br\.(?:raw|oneOf|bool|int)\(\s*'([A-Z][A-Z0-9_]*)'/g,
  /\benv\.([A-Z][A-Z0-9_]*)\b/g,
  /\benv\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g,
];
const PLATFORM = /^(FC_|ALIBABA_CLOUD_)/;

export function functionEnvVars(): string[] {
  const names = new Set<string>();
  for (const file of FUNCTION_SOURCES.flatMap(files)) {
    const text = readFileSync(file, 'utf8');
    for (const re of PATTERNS) for (const m of text.matchAll(re)) names.add(m[1] as string);
  }
  return [...names].filter((n) => !PLATFORM.test(n)).sort();
}
