/** `oss-auto-encrypt audit …` in a child process, as a user runs it. */
import type { ChildProcess } from 'node:child_process';
import { runCliProcess, type CliProcessRun } from '../cli/run-cli';

export type Run = CliProcessRun;

export function auditCli(args: string[], env: Record<string, string>, onSpawn?: (child: ChildProcess) => void): Promise<Run> {
  return oaeCli('audit', args, env, onSpawn);
}

/** Any `oss-auto-encrypt <command> …` the same way (e.g. the backfill that follows an audit). */
export function oaeCli(command: string, args: string[], env: Record<string, string>, onSpawn?: (child: ChildProcess) => void): Promise<Run> {
  return runCliProcess([command, ...args], env, onSpawn ? { onSpawn } : {});
}
