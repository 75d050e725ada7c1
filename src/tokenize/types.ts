/** One text turned into model inputs, before padding. */
export interface EncodedText {
  /** Token ids including special tokens ([CLS] ... [SEP]), already truncated to maxLength. */
  ids: number[];
  /** token_type_ids, same length as ids (all 0 for single sentences). */
  typeIds: number[];
  /** Tokens the text has before truncation, special tokens included (ids.length unless it was cut). */
  fullLength: number;
}

export interface TextTokenizer {
  /** Where the tokenizer came from (folder) and which class, for provenance. */
  readonly description: string;
  /** Maximum sequence length including special tokens (sentence-transformers' max_seq_length, capped). */
  readonly maxLength: number;
  /** Id used to pad batches. */
  readonly padId: number;
  encode(text: string): EncodedText;
}
