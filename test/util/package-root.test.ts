import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root';

describe('packageRoot', () => {
  it('is this checkout from the sources', () => {
    expect(packageRoot()).toBe(join(__dirname, '..', '..'));
  });

  it('is the nearest package.json above, whatever the package is called (a renamed fork)', () => {
    const root = mkdtempSync(join(tmpdir(), 'pkgroot-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@acme/oss-auto-encrypt' }));
    const cache = join(root, 'node_modules', '.cache', 'oss-auto-encrypt');
    mkdirSync(cache, { recursive: true });
    expect(packageRoot(cache)).toBe(root);
    expect(packageRoot(join(root, 'src', 'util'))).toBe(root);
  });
});
