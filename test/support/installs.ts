/**
 * Tests that need something installed (Chromium, the Python environment, the real model) skip
 * without it on a developer's machine — but in CI (`CI` set) a missing install is a failure that
 * names the install step, so a green CI can never hide a skipped suite. Use:
 *
 *   const chromium = requireInstall('Chromium at /usr/bin/chromium', existsSync(CHROMIUM), 'apt-get install -y chromium');
 *   describe.skipIf(!chromium.present)(chromium.title('webgpu-browser in Chromium'), () => { ... });
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findChromium } from '../../src/backends/webgpu/find-chromium.js';
import { ROOT } from './helpers.js';

export interface Install {
  present: boolean;
  /** A describe/it title that says why it skipped, when it does. */
  title(name: string): string;
}

export function requireInstall(what: string, present: boolean, installStep: string): Install {
  if (!present && process.env.CI) {
    throw new Error(`CI is set but ${what} is missing: install it (${installStep}) in .ci/run — in CI a test may not skip for a missing install`);
  }
  return {
    present,
    title: (name) => (present ? name : `${name} (skipped: ${what} is missing; ${installStep})`),
  };
}

/** The project's Python environment (.venv, from `npm run setup:python`). */
export const VENV_PYTHON = join(ROOT, '.venv', 'bin', 'python');
export const INFINITY_PYTHON = join(ROOT, '.venv-infinity', 'bin', 'python');

export function requirePythonEnv(): Install {
  return requireInstall(`the Python environment (${VENV_PYTHON})`, existsSync(VENV_PYTHON), 'npm run setup:python');
}

export function requireInfinityEnv(): Install {
  return requireInstall(`the Infinity environment (${INFINITY_PYTHON})`, existsSync(INFINITY_PYTHON), 'npm run setup:python');
}

/** The browser the WebGPU backends would use (PARITY_CHROMIUM, CHROME_PATH, then the usual places). */
export const CHROMIUM_PATH = findChromium().path;

export function requireChromium(): Install {
  return requireInstall(`Chromium (${CHROMIUM_PATH ?? 'none found'})`, CHROMIUM_PATH !== null, 'apt-get install -y chromium, as root');
}

/**
 * The real all-MiniLM-L6-v2 tokenizer files, shared beside the repository (../shared/models).
 * PARITY_MINILM_DIR points elsewhere, for a checkout that does not sit beside that folder (a git worktree).
 */
export const MINILM_DIR = process.env.PARITY_MINILM_DIR ?? join(ROOT, '..', 'shared', 'models', 'all-MiniLM-L6-v2');

export function requireMiniLm(): Install {
  return requireInstall(
    `the shared all-MiniLM-L6-v2 model folder (${MINILM_DIR})`,
    existsSync(join(MINILM_DIR, 'tokenizer.json')),
    'place the Hugging Face sentence-transformers/all-MiniLM-L6-v2 files in ../shared/models/all-MiniLM-L6-v2',
  );
}

/** The compiled build in dist/ (worker threads and worker processes load compiled files). */
export function requireBuild(file: string): Install {
  return requireInstall(`the compiled build (${file})`, existsSync(file), 'npx tsc -p tsconfig.json; `npm test` builds it first');
}

/** The real all-MiniLM-L6-v2 with its ONNX exports, built by `npm run models` into models/ (git-ignored). */
export const REAL_MINILM_DIR = join(ROOT, 'models', 'all-MiniLM-L6-v2');

export function requireRealModel(): Install {
  return requireInstall(
    `the real all-MiniLM-L6-v2 model folder (${REAL_MINILM_DIR}/manifest.json)`,
    existsSync(join(REAL_MINILM_DIR, 'manifest.json')),
    'npm run setup:python && npm run models',
  );
}
