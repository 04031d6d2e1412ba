/**
 * Runs a CLI command in-process with a temporary environment and captures what it writes to
 * process.stdout / process.stderr. (pino writes to fd 2 directly and is not captured.)
 */
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
