/**
 * A model id resolved in a Hugging Face cache laid out in a temporary folder (issue 17 §3):
 * HF_HUB_CACHE, then HF_HOME/hub, then ~/.cache/huggingface/hub; models--org--name/snapshots/<rev>/
 * through refs/main or a --revision; a missing model is one line naming where parity looked and the
 * download command; `golden` and `run` with "model": "<id>" record the id and the snapshot revision.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';
import { hubCacheRoot, resolveModelRef } from '../../src/model/hub-cache.js';
import { InputError } from '../../src/errors.js';
import { FIXTURE, parity, tempDir } from '../support/helpers.js';

const MAIN = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const root = tempDir('parity-hub-');
const cache = join(root, 'hub');
const repo = join(cache, 'models--acme--tiny-bert');
for (const rev of [MAIN, OTHER]) cpSync(FIXTURE.model, join(repo, 'snapshots', rev), { recursive: true, filter: (src) => !src.includes('/onnx') });
mkdirSync(join(repo, 'refs'), { recursive: true });
writeFileSync(join(repo, 'refs', 'main'), MAIN);
writeFileSync(join(repo, 'refs', 'v2'), OTHER + '\n');
const env = { HF_HUB_CACHE: cache };
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the Hugging Face cache', () => {
  it('is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub', () => {
    expect(hubCacheRoot({ HF_HUB_CACHE: '/c', HF_HOME: '/h' })).toEqual({ path: '/c', source: 'HF_HUB_CACHE' });
    expect(hubCacheRoot({ HF_HOME: '/h' })).toEqual({ path: '/h/hub', source: 'HF_HOME/hub' });
    expect(hubCacheRoot({})).toEqual({ path: join(homedir(), '.cache', 'huggingface', 'hub'), source: '~/.cache/huggingface/hub' });
  });

  it('an id resolves to the snapshot refs/main names; a branch through refs/<branch>; a commit directly', () => {
    expect(resolveModelRef('acme/tiny-bert', root, undefined, env)).toEqual({ dir: join(repo, 'snapshots', MAIN), hub: { id: 'acme/tiny-bert', revision: MAIN, requested: 'main' } });
    expect(resolveModelRef('acme/tiny-bert', root, 'v2', env).dir).toBe(join(repo, 'snapshots', OTHER));
    expect(resolveModelRef('acme/tiny-bert', root, OTHER, env).hub).toEqual({ id: 'acme/tiny-bert', revision: OTHER, requested: OTHER });
    // HF_HOME/hub when HF_HUB_CACHE is unset.
    expect(resolveModelRef('acme/tiny-bert', root, undefined, { HF_HOME: root }).hub?.revision).toBe(MAIN);
    // A folder that exists wins over an id of the same spelling.
    expect(resolveModelRef('hub', root, undefined, env)).toEqual({ dir: cache, hub: null });
  });

  it('a model missing from the cache is one line: where parity looked and the download command', () => {
    const message = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(message(() => resolveModelRef('acme/missing', root, undefined, env))).toBe(
      `model "acme/missing" is no folder (${join(root, 'acme/missing')}) and not in the Hugging Face cache: no ${join(cache, 'models--acme--missing')} (cache ${cache}, from HF_HUB_CACHE); ` +
        'download it with: hf download acme/missing (or set HF_HUB_CACHE / HF_HOME to the cache that has it)',
    );
    expect(message(() => resolveModelRef('acme/tiny-bert', root, 'v9', env))).toBe(
      `model "acme/tiny-bert" is not in the Hugging Face cache: no ${join(repo, 'refs', 'v9')} (cache ${cache}, from HF_HUB_CACHE); ` +
        'download it with: hf download acme/tiny-bert --revision v9 (or set HF_HUB_CACHE / HF_HOME to the cache that has it)',
    );
    expect(message(() => resolveModelRef('acme/missing', root, undefined, env))).not.toContain('\n');
  });

  it('the config\'s model and revision keys take an id', () => {
    const saved = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = cache;
    try {
      const c = parseConfig({ model: 'acme/tiny-bert', revision: 'v2', corpus: 'c.jsonl', golden: 'g.npy', backends: [{ name: 'r', runtime: 'reference' }] }, join(root, 'parity.config.json'));
      expect(c.model).toBe(join(repo, 'snapshots', OTHER));
      expect(c.hub).toEqual({ id: 'acme/tiny-bert', revision: OTHER, requested: 'v2' });
    } finally {
      if (saved === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = saved;
    }
  });

  it('golden and run with "model": "<id>": the golden\'s meta and the report record the id and the snapshot revision', () => {
    const project = join(root, 'project');
    mkdirSync(project, { recursive: true });
    const corpus = readFileSync(FIXTURE.corpus, 'utf8').split('\n').slice(0, 4).join('\n') + '\n';
    writeFileSync(join(project, 'corpus.jsonl'), corpus);
    writeFileSync(
      join(project, 'parity.config.json'),
      JSON.stringify({ model: 'acme/tiny-bert', corpus: 'corpus.jsonl', golden: 'golden.npy', isolation: 'none', backends: [{ name: 'reference', runtime: 'reference' }] }),
    );
    const golden = parity(['golden', '--backend', 'reference'], { cwd: project, env });
    expect(golden.stderr).toBe('');
    expect(golden.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(project, 'golden.meta.json'), 'utf8'));
    expect(meta.model.hub).toEqual({ id: 'acme/tiny-bert', revision: MAIN });
    const run = parity(['run', '--out', 'out'], { cwd: project, env });
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(project, 'out', 'report.json'), 'utf8'));
    expect(report.model.hub).toEqual({ id: 'acme/tiny-bert', revision: MAIN });
    expect(report.backends[0].status).toBe('pass');

    // A config naming an id the cache does not have: the cache's one line, exit 2.
    writeFileSync(join(project, 'missing.json'), JSON.stringify({ model: 'acme/missing', corpus: 'corpus.jsonl', golden: 'golden.npy', backends: [{ name: 'reference', runtime: 'reference' }] }));
    const missing = parity(['run', '--config', 'missing.json'], { cwd: project, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `parity: model "acme/missing" is no folder (${join(project, 'acme/missing')}) and not in the Hugging Face cache: no ${join(cache, 'models--acme--missing')} (cache ${cache}, from HF_HUB_CACHE); ` +
        'download it with: hf download acme/missing (or set HF_HUB_CACHE / HF_HOME to the cache that has it)\n',
    );
  }, 120_000);
});
