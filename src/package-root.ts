/**
 * The package's own folder (package.json, python/, scripts/, fixtures/), found once from this
 * module: src/package-root.ts and dist/package-root.js both sit one folder below it, whether parity
 * runs from sources, from dist/ or installed under node_modules.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** A path inside the package, e.g. packagePath('python', 'st_worker.py'). */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
