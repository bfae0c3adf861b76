/**
 * The one catalogue of user-facing errors, fastify-style (its lib/errors.js): each entry has a stable
 * code users and tests can match on, the message it makes from its arguments, and the HTTP status the
 * webhook answers with. Every one is a usage or input error, so the CLI prints the message on one
 * line and exits 2. Codes are never reused for a different meaning; docs/errors.md is generated from
 * this list (`npm run docs`).
 */

interface ErrorSpec {
  /** what the error means, for docs/errors.md */
  summary: string;
  /** the answer's status when the webhook meets it (CLI: always exit 2) */
  status: 400 | 404 | 413 | 415 | 500 | 503;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry declares its own parameters
  message: (...args: any[]) => string;
}

const quoted = (v: string, max = 100): string => JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);

export const ERRORS = {
  LCG_USAGE: {
    summary: 'a flag or argument the command cannot take, or a combination of them that makes no sense',
    status: 400,
    message: (reason: string) => reason,
  },
  LCG_FLAG_INVALID: {
    summary: "a flag's value is not of the form the flag takes",
    status: 400,
    message: (flag: string, what: string, value: string, example?: string) => `${flag}: not ${what}: ${quoted(value)}${example ? ` (e.g. ${example})` : ''}`,
  },
  LCG_FLAG_OUT_OF_RANGE: {
    summary: "a flag's value is of the right form but outside what the flag accepts",
    status: 400,
    message: (flag: string, value: string, range: string) => `${flag}: ${value} is out of range (${range})`,
  },
  LCG_FLAG_CONFLICT: {
    summary: 'two flags that contradict each other (e.g. a live cluster and files)',
    status: 400,
    message: (flags: string, does: string, other: string) => `${flags} ${does}; ${flags.includes('/') ? 'they' : 'it'} cannot be combined with ${other}`,
  },
  LCG_FLAG_MISSING: {
    summary: 'a flag or argument that another one (or the command) needs is missing',
    status: 400,
    message: (what: string, needs: string) => `${what} needs ${needs}`,
  },
  LCG_FLAG_REPEATED: {
    summary: 'a flag value that must be given once is given twice',
    status: 400,
    message: (flag: string, value: string) => `${flag} ${value} is given twice`,
  },
  LCG_RULE_FLAG_INVALID: {
    summary: 'a --rule override is not <rule id>=<error|warning|off>[,repair|,no-repair]',
    status: 400,
    message: (value: string) => `--rule ${JSON.stringify(value)}: expected <rule id>=<error|warning|off>[,repair|,no-repair]`,
  },
  LCG_CONFIG_INVALID: {
    summary: 'the configuration (file, flags or Helm values) breaks its schema, or names a rule that does not exist',
    status: 400,
    message: (where: string, problem: string) => `${where}: ${problem}`,
  },
  LCG_CONFIG_UNREADABLE: {
    summary: 'the --config file cannot be read',
    status: 400,
    message: (reason: string) => reason,
  },
  LCG_INPUT_UNREADABLE: {
    summary: 'an input (manifest, PEM file, directory, kubeconfig) cannot be read',
    status: 400,
    message: (what: string, reason: string) => `cannot read ${what}: ${reason}`,
  },
  LCG_INPUT_TOO_LARGE: {
    summary: 'an input is past one of the bounds every input has (bytes, documents, objects, values, directory entries)',
    status: 413,
    message: (what: string, bound: string) => `${what}: ${bound}`,
  },
  LCG_YAML_SYNTAX: {
    summary: 'a manifest or configuration file is not valid YAML (or JSON)',
    status: 400,
    message: (where: string, reason: string) => `${where}: ${reason}`,
  },
  LCG_KUBECONFIG: {
    summary: 'no usable kubeconfig or context for a live command',
    status: 400,
    message: (reason: string) => reason,
  },
  LCG_CLUSTER_UNREACHABLE: {
    summary: 'the Kubernetes API server did not answer a read (or answered it with an error)',
    status: 503,
    message: (what: string, server: string, reason: string) => `cannot read ${what} from ${server}: ${reason}`,
  },
  LCG_OUTPUT_UNWRITABLE: {
    summary: 'lint --fix --write cannot replace a file (the file is left as it was)',
    status: 400,
    message: (reason: string) => reason,
  },
  LCG_TLS_INVALID: {
    summary: "the webhook's serving certificate or key cannot be read or used",
    status: 400,
    message: (reason: string) => reason,
  },
  LCG_LISTEN_FAILED: {
    summary: 'the webhook cannot listen on the address it was given',
    status: 400,
    message: (address: string, reason: string) => `cannot listen on ${address}: ${reason}`,
  },
  LCG_BODY_MALFORMED: {
    summary: 'the webhook received a body that is not JSON',
    status: 400,
    message: () => 'malformed JSON: the body is not a JSON document',
  },
  LCG_BODY_OUT_OF_BOUNDS: {
    summary: 'the webhook received JSON past the bounds every input has (nesting depth, values)',
    status: 400,
    message: (bound: string) => `request body is ${bound}`,
  },
  LCG_NOT_A_REVIEW: {
    summary: 'the webhook received JSON that is not an AdmissionReview',
    status: 400,
    message: (expected: string) => `body is not an AdmissionReview: expected ${expected}`,
  },
  LCG_REVIEW_INVALID: {
    summary: 'the webhook received an AdmissionReview whose request it cannot judge (a field missing or of the wrong type)',
    status: 400,
    message: (field: string, problem: string) => `invalid AdmissionReview: ${field}: ${problem}`,
  },
  LCG_BODY_TOO_LARGE: {
    summary: "the webhook received a body over its limit (refused before it is read, when the length is declared)",
    status: 413,
    message: (limit: number) => `request body exceeds ${limit} bytes`,
  },
  LCG_NOT_FOUND: {
    summary: 'the webhook was asked for a path it does not serve',
    status: 404,
    message: () => 'not found: the webhook serves POST /mutate, POST /validate, GET /healthz, GET /readyz',
  },
  LCG_INTERNAL: {
    summary: 'the webhook failed while judging (a bug: the API server applies the failurePolicy; the log has the detail)',
    status: 500,
    message: (during?: string) => `internal error${during ? ` while ${during}` : ''}`,
  },
  LCG_BODY_ENCODING: {
    summary: 'the webhook received a compressed body (the API server never sends one)',
    status: 415,
    message: (encoding: string) => `unsupported content-encoding ${quoted(encoding, 38)}`,
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
type ArgsOf<C extends ErrorCode> = Parameters<(typeof ERRORS)[C]['message']>;

export class GuardError extends Error {
  readonly code: ErrorCode;
  /** the webhook's answer status; the CLI exits 2 for every GuardError */
  readonly statusCode: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.name = 'GuardError';
  }
}

/** The one way errors are made: the code picks the message template and the status. */
export function guardError<C extends ErrorCode>(code: C, ...args: ArgsOf<C>): GuardError {
  return new GuardError(code, (ERRORS[code].message as (...a: ArgsOf<C>) => string)(...args));
}

export function isGuardError(e: unknown): e is GuardError {
  return e instanceof GuardError;
}

/** The exit code of every GuardError: a usage or input error. */
export const USAGE_EXIT_CODE = 2;

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/** The webhook's JSON body for a refused request, fastify's shape: `{statusCode, code, error, message}`. */
export function errorBody(e: GuardError): { statusCode: number; code: ErrorCode; error: string; message: string } {
  return { statusCode: e.statusCode, code: e.code, error: STATUS_TEXT[e.statusCode] ?? 'Error', message: e.message };
}
