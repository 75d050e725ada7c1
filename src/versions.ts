/** Versions of the packages that decide the numbers, for provenance in golden meta and reports. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packagePath } from './package-root.js';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    // Some packages do not export package.json; walk up from the resolved entry instead.
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 5; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
        if (pkg.name === name) return pkg.version;
      } catch {
        /* keep walking */
      }
      dir = dirname(dir);
    }
  } catch {
    /* not installed */
  }
  return 'not installed';
}

export function parityVersion(): string {
  return JSON.parse(readFileSync(packagePath('package.json'), 'utf8')).version;
}

export function packageVersions(): Record<string, string> {
  return {
    parity: parityVersion(),
    node: process.versions.node,
    'onnxruntime-node': packageVersion('onnxruntime-node'),
    'onnxruntime-web': packageVersion('onnxruntime-web'),
    '@huggingface/transformers': packageVersion('@huggingface/transformers'),
  };
}
