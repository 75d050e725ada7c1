/**
 * The `serve` key of an `http` backend: the command that starts the server for this run. parity picks
 * a free port on 127.0.0.1, fills in the placeholders, starts the command, waits until `ready`
 * answers 200, embeds, and stops the server (SIGTERM, then SIGKILL) — so `npx parity run` needs no
 * server started by hand. Placeholders are checked here, at config time, so a typo such as
 * `{modle}` is one clear line instead of a server that fails to start.
 */
import { InputError } from '../../errors.js';
import type { BackendSpec } from '../backend.js';

export const SERVE_KEYS = ['command', 'python', 'venv', 'requires', 'ready', 'env', 'startupTimeoutMs', 'stopTimeoutMs'] as const;

/**
 * Filled in when the server starts:
 *   {python}    the interpreter (serve.python, PARITY_PYTHON, serve.venv's bin/python, python3)
 *   {model}     the backend's model folder (the config's `model`, or its own `modelDir`)
 *   {host}      127.0.0.1 (the server never listens beyond this machine)
 *   {port}      the free port parity chose
 *   {apiModel}  the backend's apiModel (the name the server should know the model by)
 *   {batchSize} the backend's batchSize (texts per request: the server's batch can match it)
 *   {configDir} the folder of the config file
 *   {threads}   the CPU threads the command gives this backend (BackendContext.threads: a run's share
 *               of the cores when backends work side by side), else the machine's cores — for the
 *               server's own thread setting (OMP_NUM_THREADS for PyTorch servers, a --threads flag)
 */
export const PLACEHOLDERS = ['python', 'model', 'host', 'port', 'apiModel', 'batchSize', 'configDir', 'threads'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export interface ServeOptions {
  /** argv of the server, placeholders unresolved; command[0] is the program. */
  command: string[];
  /** Interpreter for {python}: a path (relative to the config file) or a command name. */
  python?: string;
  /** Virtual environment folder name looked up for {python} next to the config and in the working directory. */
  venv: string;
  /** Python modules {python} must be able to import; availability() says which are missing. */
  requires: string[];
  /** Path answered with 200 once the server can embed (Infinity: /health). */
  ready: string;
  /** Extra environment variables for the server (placeholders allowed), on top of parity's own. */
  env: Record<string, string>;
  /** Limit for start-up until `ready` answers. */
  startupTimeoutMs: number;
  /** How long SIGTERM may take before SIGKILL. */
  stopTimeoutMs: number;
}

export const SERVE_DEFAULTS = { venv: '.venv', ready: '/health', startupTimeoutMs: 120_000, stopTimeoutMs: 10_000 } as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Every `{name}` in `text`, for checking. */
function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

export function fillPlaceholders(text: string, values: Record<Placeholder, string>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => ((PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] : whole));
}

export function parseServeOptions(spec: BackendSpec, raw: unknown): ServeOptions {
  const where = `backend "${spec.name}": "serve`;
  const fail = (key: string, expected: string, got: unknown): never => {
    throw new InputError(`${where}${key ? `.${key}` : ''}" must be ${expected}, got ${JSON.stringify(got)}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('', 'an object such as {"command": ["{python}", "-m", "infinity_emb.cli", "v2", ...]}', raw);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(SERVE_KEYS as readonly string[]).includes(key)) throw new InputError(`${where}" has an unknown key "${key}" (allowed: ${SERVE_KEYS.join(', ')})`);
  }
  const command = o.command;
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => typeof a !== 'string') || command[0] === '') {
    fail('command', 'a non-empty array of strings (program first)', command);
  }
  const env = o.env ?? {};
  if (typeof env !== 'object' || env === null || Array.isArray(env) || Object.values(env).some((v) => typeof v !== 'string')) fail('env', 'an object of strings', env);
  for (const text of [...(command as string[]), ...Object.values(env as Record<string, string>)]) {
    for (const name of placeholdersIn(text)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
        throw new InputError(`${where}" uses an unknown placeholder {${name}} in ${JSON.stringify(text)} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')})`);
      }
    }
  }
  if (!(command as string[]).some((a) => a.includes('{port}'))) {
    fail('command', 'an argv that passes the port parity chose, as "{port}"', command);
  }
  const str = (key: string, fallback?: string): string | undefined => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || v === '') fail(key, 'a non-empty string', v);
    return v as string;
  };
  const ready = str('ready', SERVE_DEFAULTS.ready)!;
  if (!ready.startsWith('/')) fail('ready', 'a path starting with "/" (e.g. "/health")', ready);
  const requires = o.requires ?? [];
  if (!Array.isArray(requires) || requires.some((m) => typeof m !== 'string' || !/^[A-Za-z_][\w.]*$/.test(m))) fail('requires', 'an array of Python module names', requires);
  const int = (key: string, fallback: number): number => {
    const v = o[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(key, 'an integer >= 1 (milliseconds)', v);
    return v as number;
  };
  return {
    command: command as string[],
    python: str('python'),
    venv: str('venv', SERVE_DEFAULTS.venv)!,
    requires: requires as string[],
    ready,
    env: env as Record<string, string>,
    startupTimeoutMs: int('startupTimeoutMs', SERVE_DEFAULTS.startupTimeoutMs),
    stopTimeoutMs: int('stopTimeoutMs', SERVE_DEFAULTS.stopTimeoutMs),
  };
}
