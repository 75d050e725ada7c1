/** sha256 of every file in a model folder, for provenance (golden meta, report). */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sha256File } from '../io/hash.js';

export function modelFileHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = sha256File(p);
    }
  };
  walk(dir);
  return out;
}
