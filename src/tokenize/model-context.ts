/**
 * One tokenizer and model description per model folder and embedding choice (prompt, truncate_dim),
 * shared by every backend that loads it.
 */
import { loadModelInfo, type EmbeddingChoices, type ModelInfo } from '../model/model-folder.js';
import { loadTokenizer } from './tokenizer.js';
import type { TextTokenizer } from './types.js';

export interface ModelContext {
  model: ModelInfo;
  tokenizer: TextTokenizer;
}

export class ModelContexts {
  private readonly cache = new Map<string, Promise<ModelContext>>();

  get(dir: string, choices: EmbeddingChoices = {}): Promise<ModelContext> {
    const key = JSON.stringify([dir, choices.promptName, choices.truncateDim]);
    let ctx = this.cache.get(key);
    if (!ctx) {
      ctx = (async () => {
        const model = loadModelInfo(dir, choices);
        return { model, tokenizer: await loadTokenizer(model) };
      })();
      this.cache.set(key, ctx);
    }
    return ctx;
  }
}
