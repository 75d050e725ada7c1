import { describe, expect, it } from 'vitest';
import { expectationApplies, parseExpectation } from '../../src/config/expectation.js';
import { applyExpectation } from '../../src/run/backend-report.js';
import { overallVerdict, type BackendReport } from '../../src/report/report.js';
import type { BackendConfig } from '../../src/config/config.js';

const flash = parseExpectation(
  { status: 'fail', reason: 'subgroup FlashAttention assumes subgroups >= 8', when: { 'adapter.subgroupMaxSize': { lt: 8 } } },
  'parity.config.json',
  'backends[6].expect',
)!;

function report(status: BackendReport['status'], environment: Record<string, unknown>): BackendReport {
  return {
    name: 'webgpu-flash', runtime: 'webgpu-browser', precision: 'fp32', status, reason: status === 'fail' ? 'max abs 0.9' : null,
    reasons: status === 'fail' ? ['max abs 0.9'] : [], message: null, tolerance: { atol: 1e-5, rtol: 0, mismatchRatio: 0 },
    metrics: null, details: null, environment, timing: null, vectors: null,
  };
}
const spec = { expect: flash } as BackendConfig;

describe('expected failures (xfail)', () => {
  it('applies only while its conditions hold on the recorded environment', () => {
    expect(expectationApplies(flash, { adapter: { subgroupMaxSize: 4 } })).toBe(true);
    expect(expectationApplies(flash, { adapter: { subgroupMaxSize: 32 } })).toBe(false);
    expect(expectationApplies(flash, {})).toBe(false);
  });

  it('fail becomes xfail (run stays green), pass becomes xpass (fails only with --strict)', () => {
    const xfail = applyExpectation(report('fail', { adapter: { subgroupMaxSize: 4 } }), spec.expect);
    expect(xfail.status).toBe('xfail');
    expect(xfail.reasons).toContain('max abs 0.9');
    expect(overallVerdict([xfail])).toBe('pass');
    const xpass = applyExpectation(report('pass', { adapter: { subgroupMaxSize: 4 } }), spec.expect);
    expect(xpass.status).toBe('xpass');
    expect(xpass.reason).toMatch(/expected to fail .* but passed/);
    expect(overallVerdict([xpass])).toBe('pass');
    expect(overallVerdict([xpass], { strict: true })).toBe('fail');
    expect(applyExpectation(report('fail', { adapter: { subgroupMaxSize: 32 } }), spec.expect).status).toBe('fail');
  });

  it('rejects malformed expectations naming the key', () => {
    expect(() => parseExpectation({ status: 'pass', reason: 'x' }, 'c.json', 'backends[0].expect')).toThrow(/"backends\[0\]\.expect" \.status must be "fail"/);
    expect(() => parseExpectation({ status: 'fail' }, 'c.json', 'b')).toThrow(/reason must say why/);
    expect(() => parseExpectation({ status: 'fail', reason: 'r', when: { a: { below: 3 } } }, 'c.json', 'b')).toThrow(/unknown comparison "below"/);
  });
});
