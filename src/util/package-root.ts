/**
 * The directory of this package's package.json: the nearest one above this module, which is the same directory from
 * the sources (src/util/) and from the CLI bundle bin/load-cli.js caches in node_modules/.cache/oss-auto-encrypt/
 * (neither node_modules/ nor .cache/ holds a package.json). Not matched by name, so a renamed fork (`@acme/…`)
 * works too.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    // No package.json anywhere above: the sources' layout (src/<dir>/ → root) is all that is left to go by.
    if (dirname(dir) === dir) return resolve(from, '..', '..');
  }
}
