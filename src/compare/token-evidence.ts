/**
 * Token ids compared, not guessed: a backend that tokenizes on its own (transformers.js, llama.cpp,
 * a server) reports its ids, and each text's pair of sequences is classified. A backend's ids that
 * are the golden's cut short (with the closing special token kept or not) are truncation; the
 * golden's without their last token are a dropped [SEP]/</s>; anything else is a tokenizer
 * disagreement, named at its first differing position with the tokens on both sides.
 */
import type { Finding } from './finding.js';

export interface TokenEvidence {
  /** Row ids (text ids) in run order, for naming texts. */
  ids: readonly string[];
  /** The harness's ids per text (what the golden's tokenizer produced). */
  golden: readonly (readonly number[])[];
  /** The backend's own ids per text. */
  backend: readonly (readonly number[])[];
  /** Token strings by id, for naming tokens (optional). */
  vocab?: readonly string[];
}

type Kind = { kind: 'same' } | { kind: 'cut'; at: number } | { kind: 'last-dropped' } | { kind: 'differs'; at: number };

/** How one text's two id sequences differ. */
export function classifyTokens(golden: readonly number[], backend: readonly number[]): Kind {
  const n = Math.min(golden.length, backend.length);
  let at = 0;
  while (at < n && golden[at] === backend[at]) at++;
  if (at === golden.length && at === backend.length) return { kind: 'same' };
  if (backend.length === golden.length - 1 && at === backend.length) return { kind: 'last-dropped' };
  if (backend.length < golden.length - 1) {
    // Cut to L tokens: either a plain prefix, or a prefix of L-1 plus the golden's closing token.
    const closing = golden[golden.length - 1];
    if (at === backend.length) return { kind: 'cut', at: backend.length };
    if (at === backend.length - 1 && backend[at] === closing) return { kind: 'cut', at: backend.length };
  }
  return { kind: 'differs', at };
}

export function tokenFindings(t: TokenEvidence): Finding[] {
  const cut: number[] = [];
  const dropped: number[] = [];
  const differs: { row: number; at: number }[] = [];
  const n = Math.min(t.golden.length, t.backend.length);
  for (let r = 0; r < n; r++) {
    const k = classifyTokens(t.golden[r], t.backend[r]);
    if (k.kind === 'cut') cut.push(r);
    else if (k.kind === 'last-dropped') dropped.push(r);
    else if (k.kind === 'differs') differs.push({ row: r, at: k.at });
  }
  const name = (id: number | undefined) => (id === undefined ? '(end)' : t.vocab?.[id] !== undefined ? `'${t.vocab[id]}' (${id})` : String(id));
  const texts = (rows: number[]) => rows.slice(0, 3).map((r) => `'${t.ids[r]}'`).join(', ') + (rows.length > 3 ? ', …' : '');
  const out: Finding[] = [];
  const compared = `token ids of ${n} texts compared`;
  if (cut.length) {
    const lengths = [...new Set(cut.map((r) => t.backend[r].length))].sort((a, b) => a - b);
    const golden = Math.min(...cut.map((r) => t.golden[r].length));
    out.push({
      cause: 'truncation',
      confidence: 'confirmed',
      text: `the backend truncates: ${cut.length} text${cut.length === 1 ? ' is' : 's are'} cut to ${lengths.join('/')} tokens (${texts(cut)}; the golden keeps ${golden}+)`,
      evidence: `${compared}: the backend's ids are the golden's cut short`,
    });
  }
  if (dropped.length) {
    const r = dropped[0];
    out.push({
      cause: 'special-tokens',
      confidence: 'confirmed',
      text: `the backend drops the closing special token ${name(t.golden[r].at(-1))} in ${dropped.length} text${dropped.length === 1 ? '' : 's'} (${texts(dropped)})`,
      evidence: `${compared}: the backend's ids are the golden's without the last one`,
    });
  }
  if (differs.length) {
    const { row, at } = differs[0];
    out.push({
      cause: 'tokenization',
      confidence: 'confirmed',
      text:
        `the tokenizers disagree on ${differs.length} text${differs.length === 1 ? '' : 's'} (${texts(differs.map((d) => d.row))}); first in '${t.ids[row]}' at position ${at}: ` +
        `golden ${name(t.golden[row][at])}, backend ${name(t.backend[row][at])} — a different vocabulary, normalizer (lowercasing, accents) or pre-tokenizer`,
      evidence: `${compared}: they differ inside the text`,
    });
  }
  return out;
}
