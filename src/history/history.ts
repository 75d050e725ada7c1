/**
 * `run --history FILE`: one JSON line per run — per backend its status, the drift metrics and its
 * environment — so `parity report --history FILE` can draw every metric over the runs and mark where
 * the environment changed. Non-finite numbers are strings, as in report.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { backendEnvironment, runEnvironment } from '../baseline/diff.js';
import { DRIFT_METRICS } from '../baseline/drift-metrics.js';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { nonFiniteReplacer, reviveNumber } from '../io/non-finite-json.js';
import type { Report } from '../report/report.js';

export const HISTORY_VERSION = 1;

export interface HistoryBackend {
  name: string;
  status: string;
  /** DRIFT_METRICS keys → value, for those this run measured. */
  metrics: Record<string, number>;
  /** Environment, runtime, precision and tolerance as dotted keys → text. */
  environment: Record<string, string>;
}

export interface HistoryEntry {
  history: number;
  createdAt: string;
  verdict: string;
  config: string | null;
  /** Packages, model file hashes, corpus, golden as dotted keys → text. */
  environment: Record<string, string>;
  backends: HistoryBackend[];
}

export function historyEntry(report: Report): HistoryEntry {
  return {
    history: HISTORY_VERSION,
    createdAt: report.createdAt,
    verdict: report.verdict,
    config: report.config,
    environment: Object.fromEntries(runEnvironment(report)),
    backends: report.backends.map((b) => {
      const metrics: Record<string, number> = {};
      for (const m of DRIFT_METRICS) {
        const v = b.metrics ? m.of(b) : undefined;
        if (v !== undefined) metrics[m.key] = v;
      }
      return { name: b.name, status: b.status, metrics, environment: Object.fromEntries(backendEnvironment(b)) };
    }),
  };
}

/** Appends the run's line (the whole file is written to a temporary name and renamed). */
export function appendHistory(file: string, report: Report): void {
  const path = resolve(file);
  let before = existsSync(path) ? readFileSync(path, 'utf8') : '';
  if (before && !before.endsWith('\n')) before += '\n';
  writeFileAtomic(path, before + JSON.stringify(historyEntry(report), nonFiniteReplacer) + '\n');
}

/** Every run in a history file, oldest first; a broken line is one error naming the line. */
export function readHistory(file: string): HistoryEntry[] {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read history ${path}: ${(error as NodeJS.ErrnoException).code ?? error} — pass the file \`parity run --history FILE\` appends to`, { cause: error });
  }
  const entries: HistoryEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let e: HistoryEntry;
    try {
      e = JSON.parse(line) as HistoryEntry;
    } catch (error) {
      throw new InputError(`${path} line ${i + 1} is not JSON (${(error as Error).message}) — each line must be one run, as \`parity run --history\` writes it`, { cause: error });
    }
    if (e?.history !== HISTORY_VERSION || !Array.isArray(e.backends)) {
      throw new InputError(`${path} line ${i + 1} is not a parity history line (version ${JSON.stringify(e?.history)}, this parity reads ${HISTORY_VERSION}) — each line must be one run, as \`parity run --history\` writes it`);
    }
    for (const b of e.backends) for (const k of Object.keys(b.metrics ?? {})) b.metrics[k] = Number(reviveNumber(b.metrics[k]));
    entries.push(e);
  });
  if (!entries.length) throw new InputError(`${path} holds no runs — \`parity run --history ${file}\` appends one per run`);
  return entries;
}
