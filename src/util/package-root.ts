/**
 * The directory holding this package's package.json, found by walking up from this module: the same answer from
 * the sources (src/util/) and from the CLI bundle bin/load-cli.js caches in node_modules/.cache/oss-auto-encrypt/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const NAME = 'oss-auto-encrypt';

export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === NAME) return dir;
      } catch {
        // not JSON: keep walking
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the ${NAME} package (its package.json) above ${from}`);
  }
}
