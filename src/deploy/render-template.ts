/**
 * Renders an s.yaml offline with the installed Serverless Devs CLI: `s preview -t <file> -o json`
 * resolves vars and `${env(...)}` without the network (function-compute.md §3 "Offline behaviour").
 * The child gets only the env passed in (plus PATH) and a throwaway HOME, because `s` writes ~/.s
 * and would otherwise pick up the caller's own OSS_BUCKET, access keys, etc.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { TemplateRenderError } from './errors';

export interface RenderOptions {
  /** Environment for the template's ${env('X')} lookups; nothing else is inherited. */
  env?: Record<string, string>;
  /**
   * HOME for `s` (its ~/.s holds the `s config add` accesses that ${config('AccountID')} reads). Default:
   * a throwaway directory, removed afterwards; a given one is left in place.
   */
  home?: string;
  /** Override the `s` entry script (default: the installed @serverless-devs/s). */
  sBin?: string;
  timeoutMs?: number;
}

/** Path of the installed `s` CLI script (package.json "bin": {"s": "bin/s"}). */
export function installedSBin(): string {
  return join(dirname(require.resolve('@serverless-devs/s/package.json')), 'bin', 's');
}

/** `s preview` prints a root warning and the JSON on stdout; errors also go to stdout after "Error Message:". */
export function parsePreviewOutput(stdout: string): unknown {
  const start = stdout.search(/^\{/m);
  const end = stdout.lastIndexOf('}');
  if (start < 0 || end < start) throw new SyntaxError('no JSON object in the output');
  return JSON.parse(stdout.slice(start, end + 1));
}

function errorDetail(stdout: string, stderr: string): string {
  const text = `${stdout}\n${stderr}`;
  const m = /Error Message:\s*\n([\s\S]*?)(?:A complete log|$)/.exec(text);
  const lines = (m?.[1] ?? text)
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  return lines.slice(0, 12).join('\n') || 'no output';
}

/** Renders `templatePath` and returns the parsed result; throws TemplateRenderError on failure. */
export async function renderTemplate(templatePath: string, opts: RenderOptions = {}): Promise<unknown> {
  const template = resolve(templatePath);
  const home = opts.home ?? (await mkdtemp(join(tmpdir(), 's-home-')));
  try {
    const env = { PATH: process.env.PATH ?? '', HOME: home, ...opts.env };
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [opts.sBin ?? installedSBin(), 'preview', '-t', template, '-o', 'json'],
        { cwd: dirname(template), env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
        (err, out, errOut) => done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout: out, stderr: errOut }),
      );
    });
    if (code !== 0) throw new TemplateRenderError(templatePath, code, errorDetail(stdout, stderr));
    try {
      return parsePreviewOutput(stdout);
    } catch (e) {
      throw new TemplateRenderError(templatePath, code, `output is not JSON (${(e as Error).message}): ${stdout.slice(0, 300)}`);
    }
  } finally {
    if (opts.home === undefined) await rm(home, { recursive: true, force: true });
  }
}
