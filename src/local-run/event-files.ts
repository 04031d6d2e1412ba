/**
 * Sample event files → raw payloads plus the object references the function will see. Parsing goes
 * through the function's own parser (src/event/parse.ts) so a file that loads here is one the
 * deployed function accepts, and the same bytes are what `s invoke --event-file` would send.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root';
import { parseEvent, type ObjectRef } from '../event/parse';
import { AutoEncryptError } from '../errors';
import { EventFileError } from './errors';

export interface EventFile {
  path: string;
  /** The bytes sent to the handler / FC, unchanged. */
  raw: Buffer;
  refs: ObjectRef[];
}

/** `events/` next to package.json, so it works from any cwd and from the CLI bundle. */
export const DEFAULT_EVENTS_DIR = join(packageRoot(), 'events');

/** The argument that reads one event from standard input, and the name its errors and output carry. */
export const STDIN_ARG = '-';
export const STDIN_PATH = '<stdin>';

export interface LoadOptions {
  /** Reads standard input for `-` (default: process.stdin, refused when it is a terminal). */
  readStdin?: () => Promise<Buffer>;
}

/**
 * Reads and validates every file (all errors are about one named file); directories expand to their *.json,
 * `-` is one event on standard input.
 */
export async function loadEventFiles(paths: string[], opts: LoadOptions = {}): Promise<EventFile[]> {
  if (paths.filter((p) => p === STDIN_ARG).length > 1) throw new EventFileError(STDIN_PATH, 'standard input ("-") can be named only once');
  const files = paths.length ? await expand(paths) : await jsonFilesIn(DEFAULT_EVENTS_DIR);
  if (files.length === 0) throw new EventFileError(paths[0] ?? DEFAULT_EVENTS_DIR, 'no *.json event files found');
  const out: EventFile[] = [];
  for (const path of files) {
    out.push(path === STDIN_ARG ? parseEventFile(STDIN_PATH, await (opts.readStdin ?? readProcessStdin)()) : await loadEventFile(path));
  }
  return out;
}

export async function loadEventFile(path: string): Promise<EventFile> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? String(err);
    throw new EventFileError(path, `cannot read the event file (${why})`, { cause: err });
  }
  return parseEventFile(path, raw);
}

function parseEventFile(path: string, raw: Buffer): EventFile {
  try {
    return { path, raw, refs: parseEvent(raw) };
  } catch (err) {
    if (err instanceof AutoEncryptError) throw new EventFileError(path, err.message + maskedHint(err.message), { cause: err });
    throw err;
  }
}

/** Documentation examples hide names with `*` (e.g. EventBridge's `"name": "******"`); say so instead of only "invalid". */
function maskedHint(message: string): string {
  return /bucket\.name "[^"]*\*[^"]*" is not a valid/.test(message)
    ? ' The bucket name looks masked (published examples hide names with *): put your own bucket\'s name and object key in the event.'
    : '';
}

async function readProcessStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) {
    throw new EventFileError(STDIN_PATH, '"-" reads one event from standard input, which is a terminal here: pipe or redirect the event, e.g. `replay - < event.json`');
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

async function expand(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === STDIN_ARG) {
      out.push(p);
      continue;
    }
    const s = await stat(p).catch(() => undefined);
    if (s?.isDirectory()) out.push(...(await jsonFilesIn(p)));
    else out.push(p); // missing files are reported by loadEventFile with their name
  }
  return out;
}

async function jsonFilesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    throw new EventFileError(dir, `cannot list the directory (${err.code ?? err.message})`, { cause: err });
  });
  return names.filter((n) => n.endsWith('.json')).sort().map((n) => join(dir, n));
}
