/**
 * The one tokenizer every backend shares: the model folder's own tokenizer.json, run by
 * transformers.js (@huggingface/transformers, which wraps @huggingface/tokenizers), with
 * sentence-transformers' truncation applied by hand. A BERT folder with only vocab.txt and
 * tokenizer_config.json gets the tokenizer.json BertTokenizer converts to (wordpiece-json.ts).
 *
 * Why by hand: sentence-transformers truncates to max_seq_length (sentence_bert_config.json, which
 * overrides tokenizer.json's truncation) the way Hugging Face tokenizers does: the text's pieces are
 * cut to maxLength - 2 and then [CLS] ... [SEP] are added, so a long text ends in [SEP].
 * transformers.js 4.3.1 with {truncation: true, max_length} instead cuts the finished sequence,
 * special tokens included, and drops the final [SEP] (test/tokenize/tokenizer.test.ts checks this). It also
 * ignores tokenizer.json's own truncation and padding sections. So we encode without special
 * tokens, cut, and add the template's special tokens ourselves. The template is read off the
 * tokenizer itself, so it is whatever the model family uses: [CLS] … [SEP] (BERT, ModernBERT),
 * <s> … </s> (XLM-RoBERTa, MPNet), no BOS and an appended <|endoftext|> (Qwen3-Embedding).
 *
 * Prompts: sentence-transformers prepends the prompt to the text as a string and tokenizes the
 * whole; for Pooling's include_prompt false it counts the prompt's tokens by tokenizing the prompt
 * alone with special tokens and dropping a trailing special token (Transformer._get_prompt_length).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { readJson } from '../io/read-json.js';
import type { ModelInfo } from '../model/model-folder.js';
import type { EncodedText, TextTokenizer } from './types.js';
import { bertTokenizerJson, type BertTokenizerConfig } from './wordpiece-json.js';

type Transformers = typeof import('@huggingface/transformers');

let transformersModule: Promise<Transformers> | undefined;

/** Imported on first use, offline and quiet: local files only, nothing on stdout (info logs go there). */
export function importTransformers(): Promise<Transformers> {
  transformersModule ??= import('@huggingface/transformers').then((mod) => {
    mod.env.allowRemoteModels = false;
    mod.env.allowLocalModels = true;
    // Never read or write the library's download cache: the folder is the only source.
    mod.env.useFSCache = false;
    mod.env.useBrowserCache = false;
    mod.env.logLevel = mod.LogLevel.ERROR;
    return mod;
  });
  return transformersModule;
}

/** Special tokens the single-sequence template puts before and after the text (BERT: [CLS], [SEP]). */
function templateSpecials(encode: (text: string, addSpecial: boolean) => number[], dir: string): { prefix: number[]; suffix: number[] } {
  const probe = 'hello world';
  const plain = encode(probe, false);
  const full = encode(probe, true);
  for (let start = 0; start + plain.length <= full.length; start++) {
    if (plain.every((id, i) => full[start + i] === id)) {
      return { prefix: full.slice(0, start), suffix: full.slice(start + plain.length) };
    }
  }
  throw new InputError(
    `tokenizer in ${dir}: cannot find where the text goes in its special-token template (plain ${JSON.stringify(plain)}, with special tokens ${JSON.stringify(full)})`,
  );
}

export async function loadTokenizer(model: ModelInfo): Promise<TextTokenizer> {
  const { AutoTokenizer, BertTokenizer } = await importTransformers();
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  const vocabTxt = join(model.dir, 'vocab.txt');
  const tokenizerConfig = join(model.dir, 'tokenizer_config.json');
  if (!existsSync(join(model.dir, 'tokenizer.json')) && existsSync(vocabTxt) && existsSync(tokenizerConfig)) {
    // No tokenizer.json: a BERT WordPiece folder (vocab.txt + tokenizer_config.json), run as BertTokenizer.
    const config = readJson<BertTokenizerConfig>(tokenizerConfig, 'tokenizer_config.json');
    tokenizer = new BertTokenizer(bertTokenizerJson(readFileSync(vocabTxt, 'utf8'), config, model.dir), { tokenizer_class: 'BertTokenizer', ...config });
  } else {
    try {
      // An absolute path is not a valid hub model id, so transformers.js reads <dir>/tokenizer.json
      // and <dir>/tokenizer_config.json directly (a relative "a/b" would be taken as a hub id and
      // looked up under env.localModelPath).
      tokenizer = await AutoTokenizer.from_pretrained(model.dir, { local_files_only: true });
    } catch (error) {
      throw new InputError(
        `cannot load the tokenizer from ${model.dir} (needs tokenizer.json and tokenizer_config.json, or a BERT vocab.txt and tokenizer_config.json): ${(error as Error).message ?? error}`,
        { cause: error },
      );
    }
  }

  const maxLength = model.maxSeqLength;
  const encodeIds = (text: string, addSpecial: boolean): number[] => tokenizer.encode(text, { add_special_tokens: addSpecial });
  const { prefix, suffix } = templateSpecials(encodeIds, model.dir);
  const room = maxLength - prefix.length - suffix.length;
  if (!Number.isInteger(maxLength) || room < 0) {
    throw new InputError(`${model.dir}: max sequence length ${maxLength} leaves no room for the ${prefix.length + suffix.length} special tokens`);
  }
  const padId = tokenizer.pad_token_id;
  if (typeof padId !== 'number') {
    throw new InputError(`tokenizer in ${model.dir} has no pad token (tokenizer_config.json "pad_token")`);
  }
  const config = (tokenizer as unknown as { config?: { tokenizer_class?: unknown; padding_side?: unknown } }).config;
  const side = (tokenizer as unknown as { padding_side?: unknown }).padding_side ?? config?.padding_side ?? 'right';
  if (side !== 'left' && side !== 'right') {
    throw new InputError(`tokenizer in ${model.dir}: padding_side must be "left" or "right", got ${JSON.stringify(side)}`);
  }
  const paddingSide: 'left' | 'right' = side;
  const prompt = model.prompt?.text || null;
  let promptLength = 0;
  // An empty prompt ("document": "" in Qwen3-Embedding) is no prompt to sentence-transformers either.
  if (prompt) {
    // The prompt alone, truncated and wrapped like any text; a trailing special token is not the prompt's.
    const alone = [...prefix, ...encodeIds(prompt, false).slice(0, room), ...suffix];
    promptLength = alone.length - (suffix.length > 0 ? 1 : 0);
  }
  let vocabById: Map<number, string> | null = null;
  const className = typeof config?.tokenizer_class === 'string' ? config.tokenizer_class : tokenizer.constructor.name;

  return {
    description: `${className} from ${model.dir} (max_length ${maxLength}${paddingSide === 'left' ? ', left padding' : ''})`,
    maxLength,
    padId,
    paddingSide,
    prompt,
    encode(text: string): EncodedText {
      const pieces = encodeIds(prompt === null ? text : prompt + text, false);
      const ids = [...prefix, ...pieces.slice(0, room), ...suffix];
      return {
        ids,
        typeIds: new Array<number>(ids.length).fill(0),
        fullLength: prefix.length + pieces.length + suffix.length,
        promptLength: Math.min(promptLength, ids.length),
      };
    },
    tokenText(id: number): string {
      // get_vocab() is token -> id (added tokens included); inverted once, on the first diagnosis.
      vocabById ??= new Map([...tokenizer.get_vocab()].map(([token, i]) => [i, token]));
      return vocabById.get(id) ?? `<id ${id}>`;
    },
  };
}
