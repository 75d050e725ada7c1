/**
 * Known divergences (pytest's xfail), bounded so that they cannot hide a regression. A backend may carry
 *   "expect": {"status": "fail", "reason": "...",
 *              "when": {"adapter.subgroupMaxSize": {"lt": 8}},
 *              "within": {"texts": {"batchTokens": {"ge": 32}}, "maxAbs": 0.2, "cosineDelta": 0.06}}
 * `when` (required, not empty) says where the expectation applies: every condition must hold on the
 * backend's recorded environment (dotted paths). `within` (required) bounds the failure it excuses:
 * which texts may fail and/or caps on max abs and cosine Δ. How a failure is judged against it is
 * src/evaluate/expectation.ts.
 */
import { InputError } from '../errors.js';

export type Comparison = 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';
const COMPARISONS: readonly Comparison[] = ['lt', 'le', 'gt', 'ge', 'eq', 'ne'];

export type Conditions = Partial<Record<Comparison, unknown>>;

/** Which texts may fail; every condition given must hold for each failing text. */
export interface TextBound {
  /** Corpus ids. */
  ids?: string[];
  /** The text's token count before truncation, special tokens included (harness tokenizer). */
  tokens?: Partial<Record<Comparison, number>>;
  /** The padded length of the length-sorted batch the harness embedded the text in. */
  batchTokens?: Partial<Record<Comparison, number>>;
}

/** The failure an expectation excuses; at least one key. */
export interface ExpectationBound {
  texts?: TextBound;
  /** Largest max abs |a - g| excused. */
  maxAbs?: number;
  /** Largest cosine Δ (1 - cos) excused. */
  cosineDelta?: number;
}

export interface Expectation {
  status: 'fail';
  reason: string;
  when: Record<string, Conditions>;
  within: ExpectationBound;
}

const EXAMPLE = '{"texts": {"tokens": {"gt": 128}}, "maxAbs": 0.05, "cosineDelta": 0.003}';

export function parseExpectation(raw: unknown, file: string, path: string): Expectation | undefined {
  if (raw === undefined) return undefined;
  const bad = (what: string): never => {
    throw new InputError(`${file}: "${path}" ${what}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(raw)) return bad('must be an object like {"status": "fail", "reason": "...", "when": {...}, "within": {...}}');
  for (const key of Object.keys(raw)) if (!['status', 'reason', 'when', 'within'].includes(key)) bad(`has unknown key "${key}" (allowed: status, reason, when, within)`);
  if (raw.status !== 'fail') bad(`.status must be "fail" (an expected failure), got ${JSON.stringify(raw.status)}`);
  if (typeof raw.reason !== 'string' || !raw.reason.trim()) bad('.reason must say why the failure is expected (e.g. the upstream issue)');

  if (!isObject(raw.when) || Object.keys(raw.when).length === 0) {
    bad('.when must name at least one environment condition, e.g. {"adapter.subgroupMaxSize": {"lt": 8}}: an expectation that applies everywhere would hide any regression');
  }
  const when: Expectation['when'] = {};
  for (const [key, cond] of Object.entries(raw.when as Record<string, unknown>)) {
    when[key] = parseConditions(cond, `.when["${key}"]`, bad, false);
  }

  if (!isObject(raw.within)) return bad(`.within must bound the failure it excuses: which texts may fail and/or caps, e.g. ${EXAMPLE}`);
  const w = raw.within;
  for (const key of Object.keys(w)) if (!['texts', 'maxAbs', 'cosineDelta'].includes(key)) bad(`.within has unknown key "${key}" (allowed: texts, maxAbs, cosineDelta)`);
  const within: ExpectationBound = {};
  for (const cap of ['maxAbs', 'cosineDelta'] as const) {
    if (w[cap] === undefined) continue;
    if (typeof w[cap] !== 'number' || !Number.isFinite(w[cap]) || w[cap] < 0) bad(`.within.${cap} must be a number >= 0 (the largest ${cap} excused)`);
    within[cap] = w[cap] as number;
  }
  if (w.texts !== undefined) {
    if (!isObject(w.texts) || Object.keys(w.texts).length === 0) bad('.within.texts must say which texts may fail: {"ids": [...]}, {"tokens": {"gt": 128}} or {"batchTokens": {"ge": 32}}');
    const t = w.texts as Record<string, unknown>;
    const texts: TextBound = {};
    for (const key of Object.keys(t)) if (!['ids', 'tokens', 'batchTokens'].includes(key)) bad(`.within.texts has unknown key "${key}" (allowed: ids, tokens, batchTokens)`);
    if (t.ids !== undefined) {
      if (!Array.isArray(t.ids) || t.ids.length === 0 || !t.ids.every((id) => typeof id === 'string')) bad('.within.texts.ids must be a non-empty list of corpus ids');
      texts.ids = [...(t.ids as string[])];
    }
    for (const key of ['tokens', 'batchTokens'] as const) {
      if (t[key] !== undefined) texts[key] = parseConditions(t[key], `.within.texts.${key}`, bad, true) as Partial<Record<Comparison, number>>;
    }
    within.texts = texts;
  }
  if (Object.keys(within).length === 0) bad(`.within must give at least one bound (texts, maxAbs or cosineDelta), e.g. ${EXAMPLE}`);
  return { status: 'fail', reason: raw.reason as string, when, within };
}

function parseConditions(cond: unknown, where: string, bad: (what: string) => never, numeric: boolean): Conditions {
  if (typeof cond !== 'object' || cond === null || Array.isArray(cond) || Object.keys(cond).length === 0) bad(`${where} must be an object like {"lt": 8}`);
  for (const [op, target] of Object.entries(cond as object)) {
    if (!COMPARISONS.includes(op as Comparison)) bad(`${where} has unknown comparison "${op}" (allowed: ${COMPARISONS.join(', ')})`);
    if (numeric && typeof target !== 'number') bad(`${where}.${op} must be a number`);
  }
  return cond as Conditions;
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

/** Whether every condition holds on `value` (a missing value means no). */
export function conditionsHold(value: unknown, conditions: Conditions): boolean {
  return Object.entries(conditions).every(([op, target]) => holds(value, op as Comparison, target));
}

/** "> 128", ">= 32 and < 64": the conditions in words, for reasons. */
export function describeConditions(conditions: Conditions): string {
  const sign: Record<Comparison, string> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '=', ne: '!=' };
  return Object.entries(conditions)
    .map(([op, target]) => `${sign[op as Comparison]} ${JSON.stringify(target)}`)
    .join(' and ');
}

/** Whether the expectation applies to a backend that recorded `environment`; a missing value means no. */
export function expectationApplies(e: Expectation, environment: Record<string, unknown>): boolean {
  return Object.entries(e.when).every(([path, conds]) => conditionsHold(lookup(environment, path), conds));
}
