/**
 * Where the compiled file for a worker (a child process or a worker thread) is: beside the calling
 * module when it runs compiled (dist/...), or the dist/ mirror of its folder when it runs from
 * TypeScript sources (a test runner loads src/**\/*.ts, but child processes and worker threads need
 * compiled JavaScript). Null when neither exists (not built yet).
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `callerUrl`: the caller's import.meta.url; `file`: the compiled sibling's name, e.g. 'backend-worker.js'. */
export function compiledScript(callerUrl: string, file: string): string | null {
  const here = fileURLToPath(callerUrl);
  const dir = dirname(here);
  const candidates = [join(dir, file)];
  if (here.endsWith('.ts')) {
    // src/<folder>/<module>.ts -> dist/<folder>/<file>
    const parts = dir.split(sep);
    const src = parts.lastIndexOf('src');
    if (src >= 0) candidates.push(join(parts.slice(0, src).join(sep) || sep, 'dist', ...parts.slice(src + 1), file));
  }
  return candidates.find((p) => p.endsWith('.js') && existsSync(p)) ?? null;
}
