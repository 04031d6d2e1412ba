/** Key → the prefix it is grouped under at a given depth ('' is the top level). */
export function prefixOf(key: string, depth: number): string {
  if (depth <= 0) return '';
  const parts = key.split('/');
  // The last part is the object's own name. A key ending in '/' (a "folder" object, e.g. 'a/b/') has an empty last
  // part, so it is grouped with the objects inside it: under 'a/b/' at depth 2, under 'a/' at depth 1.
  const dirs = parts.slice(0, -1);
  return dirs.length === 0 ? '' : `${dirs.slice(0, depth).join('/')}/`;
}

/** How a prefix is shown. */
export const prefixLabel = (p: string): string => (p === '' ? '(top level)' : p);
