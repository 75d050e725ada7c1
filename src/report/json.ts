/** report.json: the report object as JSON. NaN/±Infinity, which JSON cannot hold, become strings. */
import type { Report } from './report.js';

export function reportToJson(report: Report): string {
  return (
    JSON.stringify(
      report,
      (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value),
      2,
    ) + '\n'
  );
}
