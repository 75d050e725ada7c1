import { isAbsolute, relative } from 'node:path';

/** A path as people and committed files should see it: relative to the working folder when inside it. */
export function displayPath(path: string, from = process.cwd()): string {
  const rel = relative(from, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
