/**
 * Two tokenizers' ids for the same texts, compared: which texts differ, the first position that
 * differs, and the tokens on both sides. A backend that tokenizes itself (llama.cpp's own WordPiece,
 * BPE or Unigram) is checked against the harness tokenizer this way, because a different token is a
 * different input: the vectors then differ for a reason no kernel explains. Pure: ids and names in,
 * a summary and one diagnosis line out.
 */

/** One side's token at a position; null past the end of its sequence. */
export interface TokenAt {
  id: number;
  /** The token's text in that tokenizer's vocabulary. */
  token: string;
}

export interface TokenDisagreement {
  /** Index of the text in what was compared (the corpus row for a whole run). */
  row: number;
  text: string;
  /** First position where the two id sequences differ (or where the shorter one ends). */
  position: number;
  ours: TokenAt | null;
  theirs: TokenAt | null;
  oursLength: number;
  theirsLength: number;
}

export interface TokenAgreement {
  /** Who "ours" and "theirs" are, e.g. "llama.cpp" and "Hugging Face tokenizer". */
  ours: string;
  theirs: string;
  texts: number;
  disagreeing: number;
  /** The first few disagreements, in row order. */
  examples: TokenDisagreement[];
}

/** The first index where a and b differ, or -1 when they are the same sequence. */
export function firstDifference(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Accumulates texts one at a time (a backend sees its texts in blocks). */
export class TokenAgreementAccumulator {
  private texts = 0;
  private disagreeing = 0;
  private readonly examples: TokenDisagreement[] = [];

  constructor(
    readonly ours: string,
    readonly theirs: string,
    /** How many disagreements to keep in full. */
    private readonly keep = 5,
  ) {}

  /**
   * Compares one text's ids; `oursToken`/`theirsToken` name an id in each vocabulary (called only for
   * the two tokens of a disagreement). Returns the disagreement, or null when the ids agree.
   */
  add(
    row: number,
    text: string,
    ours: readonly number[],
    theirs: readonly number[],
    oursToken: (id: number) => string,
    theirsToken: (id: number) => string,
  ): TokenDisagreement | null {
    this.texts++;
    const position = firstDifference(ours, theirs);
    if (position < 0) return null;
    this.disagreeing++;
    const at = (ids: readonly number[], name: (id: number) => string): TokenAt | null =>
      position < ids.length ? { id: ids[position], token: name(ids[position]) } : null;
    const d: TokenDisagreement = {
      row,
      text,
      position,
      ours: at(ours, oursToken),
      theirs: at(theirs, theirsToken),
      oursLength: ours.length,
      theirsLength: theirs.length,
    };
    if (this.examples.length < this.keep) this.examples.push(d);
    return d;
  }

  result(): TokenAgreement {
    return { ours: this.ours, theirs: this.theirs, texts: this.texts, disagreeing: this.disagreeing, examples: [...this.examples] };
  }
}

const TEXT_SHOWN = 60;

function quote(text: string): string {
  const cut = [...text];
  return JSON.stringify(cut.length > TEXT_SHOWN ? `${cut.slice(0, TEXT_SHOWN).join('')}…` : text);
}

function side(t: TokenAt | null, length: number): string {
  return t ? `${t.id} ${JSON.stringify(t.token)}` : `(end: ${length} tokens)`;
}

/** One line naming the disagreement (texts, first differing position, both tokens); null when all agree. */
export function describeTokenAgreement(a: TokenAgreement): string | null {
  if (a.disagreeing === 0) return null;
  const shown = a.examples
    .map((d) => `text ${d.row} ${quote(d.text)} at position ${d.position}: ${a.ours} ${side(d.ours, d.oursLength)}, ${a.theirs} ${side(d.theirs, d.theirsLength)}`)
    .join('; ');
  const more = a.disagreeing > a.examples.length ? `; and ${a.disagreeing - a.examples.length} more` : '';
  return `${a.ours} tokenizes ${a.disagreeing} of ${a.texts} texts differently from the ${a.theirs}, so those texts are different inputs: ${shown}${more}`;
}
