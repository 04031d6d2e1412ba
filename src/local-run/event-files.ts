/**
 * Sample event files → raw payloads plus the object references the function will see. Parsing goes
 * through the function's own parser (src/event/parse.ts) so a file that loads here is one the
 * deployed function accepts, and the same bytes are what `s invoke --event-file` would send.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseEvent, type ObjectRef } from '../event/parse';
import { AutoEncryptError } from '../errors';
import { EventFileError } from './errors';

export interface EventFile {
  path: string;
  /** The bytes sent to the handler / FC, unchanged. */
  raw: Buffer;
  refs: ObjectRef[];
}

/** `events/` next to package.json, resolved from this file so it works from any cwd. */
export const DEFAULT_EVENTS_DIR = resolve(__dirname, '..', '..', 'events');

/** Reads and validates every file (all errors are about one named file); directories expand to their *.json. */
export async function loadEventFiles(paths: string[]): Promise<EventFile[]> {
  const files = paths.length ? await expand(paths) : await jsonFilesIn(DEFAULT_EVENTS_DIR);
  if (files.length === 0) throw new EventFileError(paths[0] ?? DEFAULT_EVENTS_DIR, 'no *.json event files found');
  const out: EventFile[] = [];
  for (const path of files) out.push(await loadEventFile(path));
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
  try {
    return { path, raw, refs: parseEvent(raw) };
  } catch (err) {
    if (err instanceof AutoEncryptError) throw new EventFileError(path, err.message, { cause: err });
    throw err;
  }
}

async function expand(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
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
