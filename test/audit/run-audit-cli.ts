/** `oss-auto-encrypt audit …` in a child process, as a user runs it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface Run { code: number | null; stdout: string; stderr: string }

export function auditCli(args: string[], env: Record<string, string>, onSpawn?: (child: ChildProcess) => void): Promise<Run> {
  return oaeCli('audit', args, env, onSpawn);
}

/** Any `oss-auto-encrypt <command> …` the same way (e.g. the backfill that follows an audit). */
export function oaeCli(command: string, args: string[], env: Record<string, string>, onSpawn?: (child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/oss-auto-encrypt.js', command, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onSpawn?.(child);
  });
}

