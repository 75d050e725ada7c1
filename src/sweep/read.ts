/**
 * Reads a saved sweep.json back (for `parity report`, e.g. one copied off a CI machine): checks its
 * schema and turns the "NaN"/"Infinity" strings sweep.json stores back into numbers, only in the
 * numeric fields of each point.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { readJson } from '../io/read-json.js';
import { reviveNumber } from '../io/non-finite-json.js';
import type { SweepResult } from './result.js';

export const SWEEP_SCHEMA = 'parity-sweep/1';
const HOW = 'pass the sweep.json that `parity sweep --out DIR` wrote, or run `parity sweep` again';
const POINT_NUMBERS = ['maxAbs', 'mismatches', 'total', 'cosineDelta', 'nonFinite', 'batchVsAloneMaxAbs', 'aloneMaxAbs', 'embedMs'] as const;

/** Whether parsed JSON is a sweep result (any version), as opposed to a run report. */
export function isSweepJson(data: unknown): boolean {
  return typeof data === 'object' && data !== null && typeof (data as { schema?: unknown }).schema === 'string' && (data as { schema: string }).schema.startsWith('parity-sweep/');
}

export function checkSweep(data: unknown, path: string): SweepResult {
  const r = data as Record<string, unknown>;
  if (r.schema !== SWEEP_SCHEMA) throw new InputError(`${path} has sweep schema ${JSON.stringify(r.schema)}; this parity reads ${SWEEP_SCHEMA} — ${HOW}`);
  if (!Array.isArray(r.lengths) || !Array.isArray(r.backends)) throw new InputError(`${path} is not a parity sweep: "lengths" and "backends" must be arrays — ${HOW}`);
  (r.backends as unknown[]).forEach((b, i) => {
    const o = b as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || typeof o.name !== 'string' || !Array.isArray(o.points)) {
      throw new InputError(`${path} is not a parity sweep: backends[${i}] needs a "name" and "points" — ${HOW}`);
    }
    for (const p of [...(o.points as Record<string, unknown>[]), ...(o.truncation ? [o.truncation as Record<string, unknown>] : [])]) {
      for (const k of POINT_NUMBERS) if (k in p) p[k] = reviveNumber(p[k]);
    }
  });
  return data as SweepResult;
}

/** Reads DIR/sweep.json or a sweep.json path. */
export function readSweep(jsonPath: string): SweepResult {
  let path = resolve(jsonPath);
  try {
    if (statSync(path).isDirectory()) path = join(path, 'sweep.json');
  } catch {
    /* readJson names the missing file */
  }
  return checkSweep(readJson(path, 'sweep', HOW), path);
}
