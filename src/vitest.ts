/**
 * `import 'embedding-parity/vitest'` (in a test file or a vitest setupFile) adds
 *
 *   expect(vectors).toMatchGolden('golden/model.npy', { atol: 1e-5, rtol: 1.3e-6, cosine: 1e-6 })
 *
 * vectors: number[][], Float32Array[], a {rows, dim, data} matrix or an .npy path. It fails with the
 * text `parity compare` prints (torch-style: mismatched elements, greatest absolute difference at which
 * text and dimension, smallest atol that would pass). Default tolerances are the CLI's (torch.testing's
 * by dtype). A missing golden is an error unless PARITY_UPDATE_GOLDEN=1 (or `{update: true}`), which
 * writes the received vectors as the golden — like a snapshot, reviewed in the diff.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { compareVectors, type CompareVectorsOptions } from './api/compare-vectors.js';
import { loadVectors, type VectorsInput } from './api/vectors.js';
import { renderCompareText } from './commands/compare.js';
import { InputError } from './errors.js';
import { writeNpy } from './npy/npy.js';

export interface GoldenMatchOptions extends CompareVectorsOptions {
  /** Write the received vectors as the golden when it does not exist yet (also PARITY_UPDATE_GOLDEN=1). */
  update?: boolean;
}

export interface GoldenMatchResult {
  pass: boolean;
  message: () => string;
}

/** The matcher function itself, for `expect.extend({ toMatchGolden })` under another name or runner. */
export function toMatchGolden(this: { isNot?: boolean } | void, received: unknown, goldenPath: string, options: GoldenMatchOptions = {}): GoldenMatchResult {
  if (typeof goldenPath !== 'string' || goldenPath === '') throw new InputError('toMatchGolden(path, options): path must be the golden .npy file');
  const path = resolve(goldenPath);
  if (!existsSync(path)) {
    if (options.update || process.env.PARITY_UPDATE_GOLDEN === '1') {
      const v = loadVectors(received as VectorsInput, 'received vectors');
      writeNpy(path, v);
      return { pass: true, message: () => `wrote golden ${goldenPath} (${v.rows}×${v.dim})` };
    }
    // An error, not a failed match: `.not.toMatchGolden` must not pass because a file is missing.
    throw new InputError(
      `golden ${goldenPath} does not exist (looked at ${path}); write it once from these vectors with PARITY_UPDATE_GOLDEN=1, or with \`npx parity golden\``,
    );
  }
  const { ids, atol, rtol, cosine, mismatchRatio } = options;
  const r = compareVectors(path, received as VectorsInput, { ids, atol, rtol, cosine, mismatchRatio });
  const text = renderCompareText(r, goldenPath, 'received vectors').trimEnd();
  const isNot = Boolean(this && this.isNot);
  return {
    pass: r.status === 'pass',
    message: () => (isNot ? `expected vectors not to match golden ${goldenPath}, but they do:\n${text}` : text),
  };
}

export const parityMatchers = { toMatchGolden };

expect.extend(parityMatchers);

declare module 'vitest' {
  interface Assertion<T = any> {
    /** Element-wise (allclose) and per-text cosine comparison against a golden .npy, as `parity compare`. */
    toMatchGolden(goldenPath: string, options?: GoldenMatchOptions): void;
  }
}
