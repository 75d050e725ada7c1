/**
 * A tokenizer.json for a BERT folder that ships only vocab.txt and tokenizer_config.json (older
 * checkpoints, slow-tokenizer saves): what transformers' BertConverter (convert_slow_tokenizer.py)
 * builds from a BertTokenizer, so the one tokenizer engine (transformers.js) runs it. The options
 * are BertTokenizer's, with its defaults: do_lower_case true, tokenize_chinese_chars true,
 * strip_accents unset (then BertNormalizer strips accents exactly when it lowercases).
 */
import { InputError } from '../errors.js';

export interface BertTokenizerConfig {
  do_lower_case?: boolean;
  tokenize_chinese_chars?: boolean;
  strip_accents?: boolean | null;
  unk_token?: string;
  cls_token?: string;
  sep_token?: string;
  pad_token?: string;
  mask_token?: string;
  [key: string]: unknown;
}

/** A special token's text: tokenizer_config.json writes it as a string or as an AddedToken object. */
function tokenText(value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return fallback;
}

/** vocab.txt: one token per line, its id the line number (BertTokenizer's load_vocab). */
export function readVocabTxt(text: string): Map<string, number> {
  const vocab = new Map<string, number>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, id) => {
    const token = line.replace(/\r$/, '');
    if (!vocab.has(token)) vocab.set(token, id);
  });
  return vocab;
}

export function bertTokenizerJson(vocabText: string, config: BertTokenizerConfig, where: string): Record<string, unknown> {
  const vocab = readVocabTxt(vocabText);
  const special = {
    unk: tokenText(config.unk_token, '[UNK]'),
    cls: tokenText(config.cls_token, '[CLS]'),
    sep: tokenText(config.sep_token, '[SEP]'),
    pad: tokenText(config.pad_token, '[PAD]'),
    mask: tokenText(config.mask_token, '[MASK]'),
  };
  for (const token of [special.unk, special.cls, special.sep]) {
    if (!vocab.has(token)) throw new InputError(`${where}: the special token ${token} is not in vocab.txt (tokenizer_config.json names it)`);
  }
  const addedTokens = Object.values(special)
    .filter((t) => vocab.has(t))
    .map((t) => ({ id: vocab.get(t)!, content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((a, b) => a.id - b.id);
  const piece = (kind: 'SpecialToken' | 'Sequence', id: string, typeId: number) => ({ [kind]: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [piece('SpecialToken', special.cls, 0), piece('Sequence', 'A', 0), piece('SpecialToken', special.sep, 0)],
      pair: [piece('SpecialToken', special.cls, 0), piece('Sequence', 'A', 0), piece('SpecialToken', special.sep, 0), piece('Sequence', 'B', 1), piece('SpecialToken', special.sep, 1)],
      special_tokens: Object.fromEntries(
        [special.cls, special.sep].sort().map((t) => [t, { id: t, ids: [vocab.get(t)!], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: special.unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab) },
  };
}
