/**
 * The one catalogue of user-facing errors, fastify-style: each has a stable code that
 * users and tests can match on. Codes are never reused for a different meaning.
 * Every one of these is a usage or input error: the CLI prints `message` on one line
 * and exits 2; the webhook answers 400 (or 413 for a body over its limit).
 */
export type ErrorCode =
  | 'LCG_CONFIG_INVALID'
  | 'LCG_CONFIG_UNREADABLE'
  | 'LCG_INPUT_UNREADABLE'
  | 'LCG_OUTPUT_UNWRITABLE'
  | 'LCG_YAML_SYNTAX'
  | 'LCG_USAGE'
  | 'LCG_PEM_INVALID'
  | 'LCG_KEY_INVALID'
  | 'LCG_CLUSTER_UNREACHABLE'
  | 'LCG_REVIEW_INVALID'
  | 'LCG_TLS_INVALID';

export class GuardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'GuardError';
  }
}

export function isGuardError(e: unknown): e is GuardError {
  return e instanceof GuardError;
}
