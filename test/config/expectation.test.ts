import { describe, expect, it } from 'vitest';
import { compareMatrices } from '../../src/compare/metrics.js';
import { expectationApplies, parseExpectation } from '../../src/config/expectation.js';
import { applyExpectation } from '../../src/evaluate/expectation.js';
import { overallVerdict, type BackendReport } from '../../src/report/report.js';
import type { BackendConfig } from '../../src/config/config.js';

const flash = parseExpectation(
  {
    status: 'fail',
    reason: 'subgroup FlashAttention assumes subgroups >= 8',
    when: { 'adapter.subgroupMaxSize': { lt: 8 } },
    within: { maxAbs: 1 },
  },
  'parity.config.json',
  'backends[6].expect',
)!;

const tolerance = { atol: 1e-5, rtol: 0, mismatchRatio: 0 };
/** Two texts; the failing comparison is off by 0.9 in one element of text 'b'. */
const golden = { rows: 2, dim: 2, data: Float32Array.from([0.6, 0.8, 0.8, 0.6]) };
const comparisons = {
  fail: compareMatrices(golden, { ...golden, data: Float32Array.from([0.6, 0.8, 0.8, -0.3]) }, tolerance, ['a', 'b']),
  pass: compareMatrices(golden, golden, tolerance, ['a', 'b']),
};

function report(status: 'pass' | 'fail', environment: Record<string, unknown>): BackendReport {
  return {
    name: 'webgpu-flash', runtime: 'webgpu-browser', precision: 'fp32', status, reason: status === 'fail' ? 'max abs 0.9' : null,
    reasons: status === 'fail' ? ['max abs 0.9'] : [], message: null, tolerance,
    metrics: null, details: null, environment, timing: null, vectors: null, expect: spec.expect,
  };
}
const spec = { expect: flash } as BackendConfig;
const apply = (status: 'pass' | 'fail', environment: Record<string, unknown>) =>
  applyExpectation(report(status, environment), { ...comparisons[status], tolerance, limitReasons: [], facts: { ids: ['a', 'b'] } });

describe('expected failures (xfail)', () => {
  it('applies only while its conditions hold on the recorded environment', () => {
    expect(expectationApplies(flash, { adapter: { subgroupMaxSize: 4 } })).toBe(true);
    expect(expectationApplies(flash, { adapter: { subgroupMaxSize: 32 } })).toBe(false);
    expect(expectationApplies(flash, {})).toBe(false);
  });

  it('fail becomes xfail (run stays green), pass becomes xpass (fails only with --strict)', () => {
    const xfail = apply('fail', { adapter: { subgroupMaxSize: 4 } });
    expect(xfail.status).toBe('xfail');
    expect(xfail.reasons).toContain('max abs 0.9');
    expect(overallVerdict([xfail])).toBe('pass');
    const xpass = apply('pass', { adapter: { subgroupMaxSize: 4 } });
    expect(xpass.status).toBe('xpass');
    expect(xpass.reason).toMatch(/expected to fail .* but passed/);
    expect(overallVerdict([xpass])).toBe('pass');
    expect(overallVerdict([xpass], { strict: true })).toBe('fail');
    expect(apply('fail', { adapter: { subgroupMaxSize: 32 } }).status).toBe('fail');
  });

  it('rejects malformed expectations naming the key', () => {
    expect(() => parseExpectation({ status: 'pass', reason: 'x' }, 'c.json', 'backends[0].expect')).toThrow(/"backends\[0\]\.expect" \.status must be "fail"/);
    expect(() => parseExpectation({ status: 'fail' }, 'c.json', 'b')).toThrow(/reason must say why/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when: { a: { below: 3 } } }, 'c.json', 'b')).toThrow(/unknown comparison "below"/);
  });

  it('requires a non-empty when and a bound on the failure it excuses', () => {
    const within = { maxAbs: 0.1 };
    expect(() => parseExpectation({ status: 'fail', reason: 'r', within }, 'c.json', 'b')).toThrow(/\.when must name at least one environment condition/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when: {}, within }, 'c.json', 'b')).toThrow(/\.when must name at least one environment condition/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when: { v: {} }, within }, 'c.json', 'b')).toThrow(/\.when\["v"\] must be an object like/);
    const when = { version: { eq: '1' } };
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when }, 'c.json', 'b')).toThrow(/\.within must bound the failure/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when, within: {} }, 'c.json', 'b')).toThrow(/\.within must give at least one bound/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when, within: { texts: {} } }, 'c.json', 'b')).toThrow(/\.within\.texts must say which texts may fail/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when, within: { texts: { ids: [] } } }, 'c.json', 'b')).toThrow(/ids must be a non-empty list/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when, within: { texts: { tokens: { gt: '128' } } } }, 'c.json', 'b')).toThrow(/tokens\.gt must be a number/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when, within: { maxAbs: -1 } }, 'c.json', 'b')).toThrow(/maxAbs must be a number >= 0/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when, within: { rows: 3 } }, 'c.json', 'b')).toThrow(/\.within has unknown key "rows"/);
    expect(parseExpectation({ status: 'fail', reason: 'r', when, within: { texts: { tokens: { gt: 128 } }, cosineDelta: 0.003 } }, 'c.json', 'b')).toEqual({
      status: 'fail',
      reason: 'r',
      when,
      within: { texts: { tokens: { gt: 128 } }, cosineDelta: 0.003 },
    });
  });
});
