/**
 * Prompts and truncateDim through the CLI: `--prompt-name` and the config keys reach the tokenizer
 * in the worker processes, are recorded in report.json and the golden's meta, and a golden made with
 * another prompt or truncation is refused as bad input (exit 2) instead of failing every vector.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parity, ROOT, tempDir } from './support/helpers.js';

const dir = tempDir('parity-arch-cli-');
function config(name: string, fixture: string, golden: string, extra: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      model: join(ROOT, 'fixtures/models/arch', fixture),
      corpus: join(ROOT, 'fixtures/corpus/default.jsonl'),
      golden: join(ROOT, 'golden/arch', golden),
      ...extra,
      backends: [{ name: 'cpu-fp32', runtime: 'onnxruntime-node', precision: 'fp32' }],
    }),
  );
  return path;
}
const report = (out: string) => JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));

describe('prompts and truncateDim on the command line', () => {
  it('--prompt-name picks the prompt, which report.json records; the default prompt is used without it', () => {
    const cfg = config('xlmr-passage', 'xlm-roberta', 'xlm-roberta.prompt-passage.npy');
    const out = join(dir, 'passage');
    const r = parity(['run', '--config', cfg, '--prompt-name', 'passage', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = report(out);
    expect(rep.model.prompt).toEqual({ name: 'passage', text: 'passage: ' });
    expect(rep.model.pooling).toBe('cls');
    expect(rep.backends[0].status).toBe('pass');
    expect(rep.backends[0].metrics.maxAbs).toBeLessThan(1e-5);

    // Without the flag the model's default_prompt_name ("query") applies: not this golden's prompt.
    const wrong = parity(['run', '--config', cfg, '--out', join(dir, 'wrong')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/was made with prompt "passage" and this run uses prompt "query": pass --prompt-name passage/);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('an unknown prompt name is one line naming the known ones (exit 2)', () => {
    const cfg = config('xlmr-default', 'xlm-roberta', 'xlm-roberta.npy');
    const r = parity(['run', '--config', cfg, '--prompt-name', 'nope', '--out', join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/prompt name "nope" is not in .*config_sentence_transformers.json \(its prompts: query, passage\)/);
  }, 60_000);

  it('"truncateDim" in the config matches a golden made with truncate_dim; golden writes both into its meta', () => {
    const cfg = config('mpnet-16', 'mpnet', 'mpnet.dim16.npy', { truncateDim: 16 });
    const out = join(dir, 'dim16');
    const r = parity(['run', '--config', cfg, '--out', out]);
    expect(r.code).toBe(0);
    expect(report(out).model.truncateDim).toBe(16);
    expect(report(out).backends[0].metrics.shape).toEqual([289, 16]);

    const mismatch = parity(['run', '--config', config('mpnet-full', 'mpnet', 'mpnet.dim16.npy'), '--out', join(dir, 'full')]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/was made with truncateDim 16 and this run uses none/);

    const golden = join(dir, 'qwen3-query.npy');
    const g = parity(['golden', '--config', config('qwen3', 'qwen3', 'qwen3.npy', { truncateDim: 8 }), '--backend', 'cpu-fp32', '--prompt-name', 'query', '--out', golden]);
    expect(g.code).toBe(0);
    const meta = JSON.parse(readFileSync(golden.replace(/\.npy$/, '.meta.json'), 'utf8'));
    expect(meta).toMatchObject({ promptName: 'query', truncateDim: 8, pooling: 'lasttoken', shape: [289, 8] });
    expect(meta.prompt).toMatch(/^Instruct: /);
  }, 180_000);
});
