/**
 * runCli: runs a CLI command in-process with a temporary environment and captures what it writes to
 * process.stdout / process.stderr. (pino writes to fd 2 directly and is not captured.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from '../../src/cli/command';

export interface CliRun { code: number; stdout: string; stderr: string }

export async function runCli(command: Command, argv: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const saved: Record<string, string | undefined> = {};
  const base = { LOG_LEVEL: 'silent', ALIBABA_CLOUD_ACCESS_KEY_ID: undefined, ALIBABA_CLOUD_ACCESS_KEY_SECRET: undefined, ALIBABA_CLOUD_SECURITY_TOKEN: undefined, ALIBABA_CLOUD_ACCOUNT_ID: undefined };
  for (const [k, v] of Object.entries({ ...base, ...env })) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += chunk.toString(); return true; });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += chunk.toString(); return true; });
  try {
    const code = await command.run(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * The CLI as a user runs it: a child process (`node bin/oss-auto-encrypt.js <argv>`, the cached bundle as `npm run …` runs it) with exactly `env`
 * (plus PATH/HOME). `waitFor` resolves when stdout+stderr match, or rejects when the process exits first, so a
 * test orders its steps on what the CLI said instead of on sleeps.
 */
export interface SpawnedCli {
  child: ChildProcess;
  /** stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
  /** Exit code (a signal death gives null). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  cwd?: string;
  /** Runs the command line through another, e.g. `bash -c 'ulimit -f N; exec "$0" "$@"'`. */
  wrap?: (commandLine: string[]) => string[];
}

export function spawnCli(argv: string[], env: Record<string, string | undefined> = {}, opts: SpawnOptions = {}): SpawnedCli {
  const root = join(__dirname, '..', '..');
  const fullEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) fullEnv[k] = v;
  const commandLine = [process.execPath, join(root, 'bin', 'oss-auto-encrypt.js'), ...argv];
  const [cmd, ...args] = opts.wrap ? opts.wrap(commandLine) : commandLine;
  const child = spawn(cmd!, args, {
    cwd: opts.cwd ?? root, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const poke = () => { for (const w of [...waiters]) w(); };
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); poke(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); poke(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => { resolve({ code, signal }); poke(); }));
  let done = false;
  void exited.then(() => { done = true; poke(); });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, stream) => new Promise<void>((resolve, reject) => {
      const check = () => {
        const text = stream === 'stdout' ? out : stream === 'stderr' ? err : out + err;
        if (pattern.test(text)) { waiters.splice(waiters.indexOf(check), 1); resolve(); return; }
        if (done) { waiters.splice(waiters.indexOf(check), 1); reject(new Error(`the CLI exited before printing ${pattern}; stdout:\n${out}\nstderr:\n${err}`)); }
      };
      waiters.push(check);
      check();
    }),
  };
}

export interface CliProcessRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** spawnCli run to its end; `onSpawn` gets the child (to signal it midway). */
export async function runCliProcess(
  argv: string[],
  env: Record<string, string | undefined> = {},
  opts: SpawnOptions & { onSpawn?: (child: ChildProcess) => void } = {},
): Promise<CliProcessRun> {
  const run = spawnCli(argv, env, opts);
  opts.onSpawn?.(run.child);
  const { code, signal } = await run.exited;
  return { code, signal, stdout: run.stdout(), stderr: run.stderr() };
}
