/**
 * Errors by kind. The CLI maps each kind to an exit code (see cli.ts):
 *   InputError      -> 2  (bad flag, config, file, corpus/golden mismatch: the user can fix it)
 *   BackendError    -> 2  (a runtime failed to load or run; harness-level failure)
 * A parity failure (everything ran and the numbers disagree beyond tolerance) is not an error: it is
 * the report's verdict, and each command returns exit 1 for it.
 * The original error is kept as `cause` so --verbose can show the whole chain.
 */
export class ParityError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Something the user gave us is wrong: what, where, and how to fix it belong in the message. */
export class InputError extends ParityError {}

/** A backend could not be loaded or could not produce vectors. */
export class BackendError extends ParityError {
  constructor(
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend}: ${message}`, options);
  }
}

export function describeCause(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
