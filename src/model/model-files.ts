/**
 * sha256 of every file in a model folder, for provenance (golden meta, report). The top-level
 * manifest.json that `npm run models` writes is left out: it records how the folder was built (tool
 * versions, the exporter's own source hash), which changes with parity's code while every model file,
 * hashed here on its own, stays the same; counting it would warn "model files changed" for no change.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sha256File } from '../io/hash.js';

const BUILD_MANIFEST = 'manifest.json';

export function modelFileHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!(d === dir && name === BUILD_MANIFEST)) out[relative(dir, p)] = sha256File(p);
    }
  };
  walk(dir);
  return out;
}
