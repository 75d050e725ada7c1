/**
 * Writes a file so that readers see either the old complete file or the new complete file, never a
 * half-written one: write a temp file beside the target, then rename over it (atomic on POSIX).
 */
import { linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeThroughTemp(path, data, (temp) => renameSync(temp, path));
}

/**
 * As writeFileAtomic, but never replaces an existing file: the complete temp file is hard-linked to
 * `path`, which fails with EEXIST when something is already there (even one created a moment ago),
 * so a file a user wrote by hand is never overwritten.
 */
export function writeNewFileAtomic(path: string, data: string | Uint8Array): void {
  writeThroughTemp(path, data, (temp) => linkSync(temp, path));
}

function writeThroughTemp(path: string, data: string | Uint8Array, publish: (temp: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temp, data);
    publish(temp);
  } finally {
    // After a rename the temp name is gone already; after a link it is a second name to drop.
    rmSync(temp, { force: true });
  }
}
