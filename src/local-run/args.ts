/**
 * Flag parsing for the local-run CLIs over node:util parseArgs (strict), with its errors turned into
 * one-line UsageErrors. Parsing has no side effects, so tests can parse without running anything.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<T> { flags: T; positionals: string[] }

export function parseFlags<T>(command: string, argv: string[], options: Options): Parsed<T> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { flags: values as T, positionals };
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${msg}. Run \`oss-auto-encrypt ${command} --help\` for the options.`);
  }
}

/** A comma-separated flag value → trimmed non-empty items. */
export function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

export function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}
