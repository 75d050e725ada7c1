#!/usr/bin/env node
/**
 * Benchmark for the diagnoses' re-embedding of suspected faults (issue #19, "time to verdict"): the
 * part of a backend's `downstream` phase that re-embeds its worst texts with the float64 reference
 * under each hypothesis (src/diagnose/evidence.ts, hypotheses.ts).
 *
 *   npx tsc -p tsconfig.json
 *   npx parity run -c configs/all-MiniLM-L6-v2.json -b transformersjs-fp32 -b llama-f32 -b llama-f16 -b llama-q8_0 -o /tmp/failing
 *   node bench/diagnosis-bench.mjs --report /tmp/failing --rounds 2
 *
 * Takes a finished run's report.json, and for every backend there that the diagnoses re-embed for
 * (mismatches > 0), in the report's order, asks one evidence object (one per run, as `run` builds it)
 * for the hypotheses of the backend's worst rows, as checks.ts does, and prints the time each took and
 * which hypotheses came back. Each round builds a fresh evidence object, so round 1 is not helped by
 * anything round 0 computed. `--dist DIR` runs another build (e.g. an older commit's, to compare);
 * the last line's JSON lists every hypothesis returned with a hash of its vectors, to compare the two.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const REPORT = resolve(arg('report', 'reports/latest'));
const DIST = resolve(ROOT, arg('dist', 'dist'));
const ROUNDS = Number(arg('rounds', 1));

const dist = (p) => import(pathToFileURL(join(DIST, p)).href);
if (!existsSync(join(DIST, 'diagnose', 'evidence.js'))) {
  console.error(`${DIST} has no diagnose/evidence.js: run \`npx tsc -p tsconfig.json\` first`);
  process.exit(2);
}
const reportPath = REPORT.endsWith('.json') ? REPORT : join(REPORT, 'report.json');
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const { diagnosisEvidence } = await dist('diagnose/evidence.js');
const { HYPOTHESIS_ROWS } = await dist('evaluate/checks.js');
const { worstRows } = await dist('compare/worst-rows.js');
const { textFacts } = await dist('evaluate/text-facts.js');
const { ModelContexts } = await dist('tokenize/model-context.js');
const { loadCorpus } = await dist('corpus/corpus.js');

const modelDir = resolve(dirname(reportPath), report.model.dir);
const ctx = await new ModelContexts().get(existsSync(modelDir) ? modelDir : resolve(report.model.dir), report.embedding ?? {});
const texts = report.corpus.texts ?? loadCorpus(resolve(dirname(reportPath), report.corpus.path)).texts;
const ids = report.corpus.ids ?? texts.map((_, k) => String(k));
const facts = textFacts(ctx.tokenizer, texts, ids, report.batching ?? null);
const failing = report.backends.filter((b) => b.metrics?.mismatches > 0 && b.details?.rowMaxAbs);

console.log(`${failing.length} backends re-embedded (${failing.map((b) => b.name).join(', ')}) from ${reportPath}; ${DIST}; ${cpus()[0]?.model ?? 'unknown CPU'}`);
// Each hypothesis' vectors by hash, so two builds' outputs can be compared bit for bit (diff the JSON lines).
const sha256 = (data) => createHash('sha256').update(Buffer.from(data.buffer, data.byteOffset, data.byteLength)).digest('hex').slice(0, 16);
const rounds = [];
for (let round = 0; round < ROUNDS; round++) {
  const evidence = diagnosisEvidence(ctx.model, ctx.tokenizer, texts, facts.batchTokens);
  const perBackend = [];
  for (const b of failing) {
    const rows = worstRows(b.details.rowMaxAbs, HYPOTHESIS_ROWS);
    const started = performance.now();
    const found = evidence.hypotheses(rows);
    const ms = performance.now() - started;
    perBackend.push({ backend: b.name, rows: rows.map((r) => ids[r]), ms, hypotheses: found.map((h) => `${h.label} [${h.rows.map((r) => ids[r]).join(',')}] ${sha256(h.vectors.data)}`) });
    console.log(`round ${round + 1} ${b.name}: ${(ms / 1000).toFixed(2)} s, rows ${rows.map((r) => ids[r]).join(', ')}; ${found.length} hypotheses; load average ${loadavg()[0].toFixed(2)}`);
  }
  const total = perBackend.reduce((s, b) => s + b.ms, 0);
  console.log(`round ${round + 1}: ${(total / 1000).toFixed(2)} s for ${perBackend.length} backends`);
  rounds.push({ totalMs: total, perBackend });
}
console.log(JSON.stringify({ cpu: cpus()[0]?.model ?? null, rounds }));
