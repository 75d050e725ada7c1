/** The one writer and reader of non-finite numbers in JSON (report.json, sweep.json, --json output). */
import { describe, expect, it } from 'vitest';
import { nonFiniteReplacer, reviveFields, reviveNumber, toJsonText } from '../../src/io/non-finite-json.js';
import { reportToJson } from '../../src/report/json.js';
import { sweepToJson } from '../../src/sweep/render.js';
import type { Report } from '../../src/report/report.js';
import type { SweepResult } from '../../src/sweep/result.js';

describe('non-finite numbers in JSON', () => {
  it('are written as strings, indented, with a final newline, by every writer', () => {
    const value = { a: NaN, b: [Infinity, -Infinity, 1.5], id: 'NaN' };
    const text = toJsonText(value);
    expect(text).toBe('{\n  "a": "NaN",\n  "b": [\n    "Infinity",\n    "-Infinity",\n    1.5\n  ],\n  "id": "NaN"\n}\n');
    expect(JSON.stringify([NaN], nonFiniteReplacer)).toBe('["NaN"]');
    // report.json and sweep.json go through it (not JSON.stringify's null).
    expect(reportToJson(value as unknown as Report)).toBe(text);
    expect(sweepToJson(value as unknown as SweepResult)).toBe(text);
  });

  it('are read back only where asked: a numeric field becomes the number, a skipped id stays a string', () => {
    expect(reviveNumber('NaN')).toBeNaN();
    expect(reviveNumber('-Infinity')).toBe(-Infinity);
    expect(reviveNumber('nan')).toBe('nan');
    expect(reviveNumber('toString')).toBe('toString'); // not an inherited property
    const o: Record<string, unknown> = { maxAbs: 'Infinity', id: 'NaN', n: 2 };
    reviveFields(o, ['id']);
    expect(o).toEqual({ maxAbs: Infinity, id: 'NaN', n: 2 });
  });
});
