/** One text turned into model inputs, before padding. */
export interface EncodedText {
  /** Token ids including special tokens ([CLS] ... [SEP], <s> ... </s>, ... <|endoftext|>), already truncated to maxLength. */
  ids: number[];
  /** token_type_ids, same length as ids (all 0 for single sentences). */
  typeIds: number[];
  /**
   * Leading tokens that belong to the prompt, counted as sentence-transformers does (the prompt
   * tokenized alone, minus a trailing special token): what Pooling with include_prompt false leaves
   * out. 0 without a prompt.
   */
  promptLength: number;
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
  /** tokenizer_config.json's padding_side: decoder embedders (Qwen3-Embedding) pad on the left. */
  readonly paddingSide: 'left' | 'right';
  /** The run's prompt text, prepended to every text before tokenizing (null: none). */
  readonly prompt: string | null;
  encode(text: string): EncodedText;
  /** The vocabulary's text for a token id ("##ing", "[SEP]"), for diagnoses that name tokens. */
  tokenText?(id: number): string;
}
