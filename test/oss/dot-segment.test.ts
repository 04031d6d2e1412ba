import { hasDotSegment } from '../../src/oss/gateway';

/** The definition: some '/'-separated segment is exactly "." or "..". */
const reference = (key: string): boolean => key.split('/').some((s) => s === '.' || s === '..');

describe('hasDotSegment', () => {
  it.each([
    ['a/../b', true], ['..', true], ['.', true], ['a/.', true], ['./a', true], ['a/b/..', true], ['/./', true], ['a//./b', true],
    ['a/..b', false], ['a/.b/c', false], ['a..', false], ['...', false], ['a/...', false], ['.a', false], ['a.', false], ['a//b', false], ['', false],
  ])('%j → %s', (key, expected) => {
    expect(hasDotSegment(key)).toBe(expected);
    expect(reference(key)).toBe(expected);
  });

  it('agrees with the definition on every short key over "a", ".", "/"', () => {
    const keys: string[] = [''];
    for (let len = 1; len <= 6; len++) for (const k of keys.filter((x) => x.length === len - 1)) for (const c of ['a', '.', '/']) keys.push(k + c);
    for (const k of keys) expect([k, hasDotSegment(k)]).toEqual([k, reference(k)]);
  });
});
