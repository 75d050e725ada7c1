/**
 * Which Python runs parity's Python workers (sentence-transformers, Infinity, model export). In order:
 * the config key `python`, the environment variable PARITY_PYTHON, the project's `.venv/bin/python`
 * (built by `npm run setup:python`) next to the config file or in the working directory, then
 * `python3` on the PATH. The answer says where it came from, for the report and for skip reasons.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export interface PythonInterpreter {
  /** Absolute path, or a bare command name looked up on the PATH (`python3`). */
  command: string;
  /** Where the choice came from: "config", "PARITY_PYTHON", ".venv", "PATH". */
  source: 'config' | 'PARITY_PYTHON' | '.venv' | 'PATH';
}

/** The command that builds the environment that the fallbacks look for. */
export const PYTHON_SETUP_HINT = 'npm run setup:python';

export function findPython(options: { configured?: string; configDir?: string; venv?: string } = {}): PythonInterpreter {
  const venv = options.venv ?? '.venv';
  if (options.configured) {
    const c = options.configured;
    const command = isAbsolute(c) || !c.includes('/') ? c : resolve(options.configDir ?? process.cwd(), c);
    return { command, source: 'config' };
  }
  const fromEnv = process.env.PARITY_PYTHON;
  if (fromEnv) return { command: fromEnv, source: 'PARITY_PYTHON' };
  for (const dir of [options.configDir, process.cwd()]) {
    if (!dir) continue;
    const candidate = join(dir, venv, 'bin', 'python');
    if (existsSync(candidate)) return { command: candidate, source: '.venv' };
  }
  return { command: 'python3', source: 'PATH' };
}

/**
 * Which of `modules` the interpreter cannot import (empty when all import), or null when the
 * interpreter itself does not start. Cheap enough for an availability check (one short process).
 */
export function missingPythonModules(python: string, modules: readonly string[], timeoutMs = 60_000): string[] | null {
  const code = `import importlib.util, json; print(json.dumps([m for m in ${JSON.stringify(modules)} if importlib.util.find_spec(m) is None]))`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error || r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as string[];
  } catch {
    return null;
  }
}

/** Where the interpreter came from, in words for a skip reason. */
export function describePythonSource(py: PythonInterpreter): string {
  switch (py.source) {
    case 'config':
      return 'from the config key "python"';
    case 'PARITY_PYTHON':
      return 'from PARITY_PYTHON';
    case '.venv':
      return 'the project .venv';
    default:
      return 'python3 on the PATH, no .venv found';
  }
}
