/** report.json: the report object as JSON. NaN/±Infinity, which JSON cannot hold, become strings (io/non-finite-json.ts). */
import { toJsonText } from '../io/non-finite-json.js';
import type { Report } from './report.js';

export function reportToJson(report: Report): string {
  return toJsonText(report);
}
