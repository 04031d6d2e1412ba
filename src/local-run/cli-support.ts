/** Shared by the local-run CLIs: credentials from the standard variables and one-line error reporting. */
import { AutoEncryptError, ConfigError } from '../errors';
import { LOG_LEVELS } from '../config';
import { EventFileError, UsageError } from './errors';
import { RemoteConfigError } from '../remote/errors';

export interface CloudCredentials { accessKeyId: string; accessKeySecret: string; securityToken?: string }

/** ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (+ optional _SECURITY_TOKEN), or undefined when not both set. */
export function cloudCredentials(env: Record<string, string | undefined>): CloudCredentials | undefined {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) return undefined;
  const securityToken = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return securityToken ? { accessKeyId, accessKeySecret, securityToken } : { accessKeyId, accessKeySecret };
}

/**
 * Expected errors (ours, with codes) print one line and exit 2 for bad input, 1 otherwise;
 * anything else is a bug and keeps its stack.
 */
const LOCAL_RUNS = new Set(['backfill', 'start', 'replay']);

export function reportError(command: string, err: unknown, exitCode?: number, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (err instanceof AutoEncryptError) {
    // backfill, start and replay read the variables from their own environment: the fix is to run again, not to redeploy.
    const message = err instanceof ConfigError && LOCAL_RUNS.has(command) ? err.localMessage : err.message;
    write(`oss-auto-encrypt ${command}: ${message.replace(/\n+/g, ' ')} [${err.code}]\n`);
    return exitCode ?? (err instanceof UsageError || err instanceof EventFileError || err instanceof ConfigError || err instanceof RemoteConfigError ? 2 : 1);
  }
  write(`oss-auto-encrypt ${command}: unexpected error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  return 1;
}

/**
 * Level of the function's log lines on stderr: info with --verbose, else LOG_LEVEL, else warn. An invalid
 * LOG_LEVEL falls back to warn here so that loadPolicy reports it (with every other bad variable) as a ConfigError.
 */
export function logLevel(verbose: boolean | undefined, envLevel: string | undefined): string {
  if (verbose) return 'info';
  return envLevel && (LOG_LEVELS as readonly string[]).includes(envLevel) ? envLevel : 'warn';
}
