/**
 * history.html (`parity report --history FILE`): every drift metric over the runs of a history file,
 * one chart each with a line per backend, a numbered marker where the environment changed, and the
 * list of those changes. Self-contained like report.html (inline CSS and SVG, no scripts).
 */
import { changes } from '../baseline/diff.js';
import type { EnvironmentChange } from '../baseline/diff-types.js';
import { DRIFT_METRICS } from '../baseline/drift-metrics.js';
import { escapeHtml as h } from '../report/escape.js';
import { HTML_STYLE } from '../report/html-style.js';
import { statusStyle } from '../report/status.js';
import { historyChart } from '../report/svg/history.js';
import { changeText } from '../report/drift.js';
import type { HistoryEntry } from './history.js';


/** What changed at each run since the run before: run-wide keys as they are, a backend's prefixed with its name. */
export function environmentSteps(entries: readonly HistoryEntry[]): { run: number; changes: EnvironmentChange[] }[] {
  const steps: { run: number; changes: EnvironmentChange[] }[] = [];
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1];
    const cur = entries[i];
    const found = changes(new Map(Object.entries(prev.environment ?? {})), new Map(Object.entries(cur.environment ?? {})));
    const before = new Map(prev.backends.map((b) => [b.name, b]));
    for (const b of cur.backends) {
      const p = before.get(b.name);
      if (!p) {
        found.push({ key: b.name, before: 'not in the run', after: 'in the run' });
        continue;
      }
      for (const c of changes(new Map(Object.entries(p.environment ?? {})), new Map(Object.entries(b.environment ?? {})))) found.push({ ...c, key: `${b.name}: ${c.key}` });
    }
    const now = new Set(cur.backends.map((b) => b.name));
    for (const b of prev.backends) if (!now.has(b.name)) found.push({ key: b.name, before: 'in the run', after: 'not in the run' });
    if (found.length) steps.push({ run: i, changes: found });
  }
  return steps;
}

const changeLine = (c: EnvironmentChange) => changeText(c, ': ', 60);

export function renderHistoryHtml(entries: readonly HistoryEntry[], source: string): string {
  const names = [...new Set(entries.flatMap((e) => e.backends.map((b) => b.name)))];
  const runs = entries.map((_, i) => String(i + 1));
  const runTitles = entries.map((e, i) => `run ${i + 1}: ${e.createdAt}, ${e.verdict}`);
  const steps = environmentSteps(entries);
  const markers = steps.map((s, k) => ({ run: s.run, label: String(k + 1), title: `environment change ${k + 1} (run ${s.run + 1}):\n${s.changes.slice(0, 12).map(changeLine).join('\n')}${s.changes.length > 12 ? `\n… ${s.changes.length - 12} more` : ''}` }));
  const charts = DRIFT_METRICS.map((m) => {
    const series = names.map((name) => ({ name, values: entries.map((e) => e.backends.find((b) => b.name === name)?.metrics?.[m.key]) }));
    if (!series.some((s) => s.values.some((v) => v !== undefined))) return '';
    return (
      `<figure class="wide"><figcaption>${h(m.label)} over ${runs.length} runs</figcaption>` +
      historyChart({ kind: `history-${m.key}`, label: `${m.label} per backend over the runs of ${source}`, runs, runTitles, series, markers }) +
      `</figure>`
    );
  }).filter(Boolean);
  const runRows = entries
    .map((e, i) => {
      const s = statusStyle(e.verdict);
      const counts = new Map<string, number>();
      for (const b of e.backends) counts.set(b.status, (counts.get(b.status) ?? 0) + 1);
      const step = steps.findIndex((x) => x.run === i);
      return `<tr><td class="num">${i + 1}</td><td>${h(e.createdAt)}</td><td><span class="badge tone-${s.tone}">${h(s.label)}</span></td><td>${h([...counts].map(([k, c]) => `${c} ${k}`).join(', '))}</td><td>${step >= 0 ? `<b class="bad">${step + 1}</b>` : ''}</td></tr>`;
    })
    .join('');
  const changeList = steps.length
    ? `<ol>${steps.map((s) => `<li><b>run ${s.run + 1}</b> (${h(entries[s.run].createdAt)}): <ul>${s.changes.map((c) => `<li>${h(changeLine(c))}</li>`).join('')}</ul></li>`).join('')}</ol>`
    : '<p class="muted">The environment did not change between these runs.</p>';
  const title = `parity history — ${runs.length} runs, ${names.length} backends`;
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">\n` +
    `<title>${h(title)}</title>\n<style>${HTML_STYLE}</style>\n</head>\n<body>\n<main>\n` +
    `<h1>${h(title)}</h1><p class="meta">From <code>${h(source)}</code>, ${h(entries[0].createdAt)} to ${h(entries[entries.length - 1].createdAt)}. ` +
    `Each chart is one metric per backend on a log axis (0 on the floor, × a non-finite value); a red dashed line numbered k marks a run whose environment ` +
    `(package versions, model files, corpus, golden, a backend's runtime settings or tolerance) changed since the run before — hover it, or see the list below.</p>` +
    `<div class="charts">${charts.join('')}</div>` +
    `<h2 id="changes">Environment changes</h2>${changeList}` +
    `<h2 id="runs">Runs</h2><div class="table-wrap"><table><thead><tr><th class="num">run</th><th>date</th><th>verdict</th><th>backends</th><th>environment change</th></tr></thead><tbody>${runRows}</tbody></table></div>` +
    `<footer>Generated by parity from a history file (\`parity run --history FILE\`, one JSON line per run); this page is self-contained and works offline.</footer>` +
    `\n</main>\n</body>\n</html>\n`
  );
}
