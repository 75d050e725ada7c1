/** report.json: the report object as JSON. NaN/±Infinity, which JSON cannot hold, become strings. */
import type { Report } from './report.js';

/** JSON.stringify replacer: a non-finite number becomes "NaN", "Infinity" or "-Infinity". */
export function nonFiniteAsString(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** The way back, for numeric fields only: "NaN", "Infinity", "-Infinity" become numbers; anything else stays. */
export function nonFiniteFromString(value: unknown): unknown {
  return typeof value === 'string' && value in NON_FINITE ? NON_FINITE[value] : value;
}

export function reportToJson(report: Report): string {
  return JSON.stringify(report, nonFiniteAsString, 2) + '\n';
}
