/**
 * Known divergences (pytest's xfail): a backend may carry
 *   "expect": {"status": "fail", "reason": "...", "when": {"adapter.subgroupMaxSize": {"lt": 8}}}
 * so CI stays green while a runtime bug is tracked. The expectation applies only when every `when`
 * condition holds on the backend's recorded environment (dotted paths); then a failing backend is
 * `xfail` (does not fail the run, still shown with its error) and a passing one is `xpass` (the
 * upstream fix has landed: reported, and a failure under --strict).
 */
import { InputError } from '../errors.js';

export type Comparison = 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';
const COMPARISONS: readonly Comparison[] = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'];

export interface Expectation {
  status: 'fail';
  reason: string;
  when: Record<string, Partial<Record<Comparison, unknown>>>;
}

export function parseExpectation(raw: unknown, file: string, path: string): Expectation | undefined {
  if (raw === undefined) return undefined;
  const bad = (what: string): never => {
    throw new InputError(`${file}: "${path}" ${what}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('must be an object like {"status": "fail", "reason": "..."}');
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!['status', 'reason', 'when'].includes(key)) bad(`has unknown key "${key}" (allowed: status, reason, when)`);
  if (o.status !== 'fail') bad(`.status must be "fail" (an expected failure), got ${JSON.stringify(o.status)}`);
  if (typeof o.reason !== 'string' || !o.reason.trim()) bad('.reason must say why the failure is expected (e.g. the upstream issue)');
  const when: Expectation['when'] = {};
  if (o.when !== undefined) {
    if (typeof o.when !== 'object' || o.when === null || Array.isArray(o.when)) bad('.when must map environment paths to conditions, e.g. {"adapter.subgroupMaxSize": {"lt": 8}}');
    for (const [key, cond] of Object.entries(o.when as Record<string, unknown>)) {
      if (typeof cond !== 'object' || cond === null || Array.isArray(cond)) bad(`.when["${key}"] must be an object like {"lt": 8}`);
      for (const op of Object.keys(cond as object)) {
        if (!COMPARISONS.includes(op as Comparison)) bad(`.when["${key}"] has unknown comparison "${op}" (allowed: ${COMPARISONS.join(', ')})`);
      }
      when[key] = cond as Partial<Record<Comparison, unknown>>;
    }
  }
  return { status: 'fail', reason: o.reason as string, when };
}

function lookup(env: Record<string, unknown>, path: string): unknown {
  let v: unknown = env;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function holds(value: unknown, op: Comparison, target: unknown): boolean {
  if (value === undefined) return false;
  switch (op) {
    case 'eq':
      return value === target;
    case 'ne':
      return value !== target;
    default: {
      if (typeof value !== 'number' || typeof target !== 'number') return false;
      return op === 'lt' ? value < target : op === 'le' ? value <= target : op === 'gt' ? value > target : value >= target;
    }
  }
}

/** Whether the expectation applies to a backend that recorded `environment`; a missing value means no. */
export function expectationApplies(e: Expectation, environment: Record<string, unknown>): boolean {
  return Object.entries(e.when).every(([path, conds]) =>
    Object.entries(conds).every(([op, target]) => holds(lookup(environment, path), op as Comparison, target)),
  );
}
