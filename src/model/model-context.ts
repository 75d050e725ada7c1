/** One tokenizer and model description per model folder, shared by every backend that loads it. */
import { loadModelInfo, type ModelInfo } from './model-folder.js';
import { loadTokenizer } from '../tokenize/tokenizer.js';
import type { TextTokenizer } from '../tokenize/types.js';

export interface ModelContext {
  model: ModelInfo;
  tokenizer: TextTokenizer;
}

export class ModelContexts {
  private readonly cache = new Map<string, Promise<ModelContext>>();

  get(dir: string): Promise<ModelContext> {
    let ctx = this.cache.get(dir);
    if (!ctx) {
      ctx = (async () => {
        const model = loadModelInfo(dir);
        return { model, tokenizer: await loadTokenizer(model) };
      })();
      this.cache.set(dir, ctx);
    }
    return ctx;
  }
}
