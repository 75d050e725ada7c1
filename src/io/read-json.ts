/** Reads a JSON file the user pointed at; a missing or malformed file is an InputError naming it. */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

/** `what` names the file for the message ("model config.json", "config"); `how`, when given, says how to fix it. */
export function readJson<T = unknown>(path: string, what: string, how?: string): T {
  const fix = how ? ` — ${how}` : '';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${what} at ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? error)}${fix}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new InputError(`${what} at ${path} is not valid JSON: ${(error as Error).message}${fix}`, { cause: error });
  }
}
