/** Reads a JSON file the user pointed at; a missing or malformed file is an InputError naming it. */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';

/** `what` names the file for the message ("model config.json", "config"). */
export function readJson<T = unknown>(path: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${what} at ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new InputError(`${what} at ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}
