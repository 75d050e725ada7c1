/**
 * Non-finite numbers in JSON, written and read one way for report.json, sweep.json and the CLI's
 * --json output. JSON has no NaN or infinities (JSON.stringify would write null, losing the very
 * failure a report exists to show), so they are written as the strings "NaN", "Infinity" and
 * "-Infinity". Readers turn those strings back into numbers only in fields the schema says are
 * numbers: a text id or a text "NaN" must stay a string, so there is no blanket reviver.
 */

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** JSON.stringify replacer: a non-finite number becomes its string. */
export function nonFiniteReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** Indented JSON (2 spaces) with non-finite numbers as strings, and a final newline: a file's text. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, nonFiniteReplacer, 2) + '\n';
}

/** The reviver of one numeric field: "NaN", "Infinity" or "-Infinity" back to the number; anything else as it is. */
export function reviveNumber(value: unknown): unknown {
  return typeof value === 'string' && Object.hasOwn(NON_FINITE, value) ? NON_FINITE[value] : value;
}

/** reviveNumber on every field of an object, in place, except `skip` (fields that hold ids, texts or objects). */
export function reviveFields(o: Record<string, unknown> | null | undefined, skip: readonly string[] = []): void {
  if (!o || typeof o !== 'object') return;
  for (const k of Object.keys(o)) if (!skip.includes(k)) o[k] = reviveNumber(o[k]);
}
