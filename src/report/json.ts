/** report.json: the report object as JSON. NaN/±Infinity, which JSON cannot hold, become strings. */
import type { Report } from './report.js';

/** JSON.stringify replacer: a non-finite number becomes "NaN", "Infinity" or "-Infinity". */
export function nonFiniteAsString(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

export function reportToJson(report: Report): string {
  return JSON.stringify(report, nonFiniteAsString, 2) + '\n';
}
