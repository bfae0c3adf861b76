/**
 * The error reference, generated from the error catalogue (`npm run docs` writes docs/errors.md;
 * a test fails when the committed file drifts from the catalogue).
 */
import { ERRORS, USAGE_EXIT_CODE, type ErrorCode } from './errors.js';

/** The parameter names of a message template, in order: `(flag, what) => …` gives ['flag', 'what']. */
export function templateParameters(fn: (...args: never[]) => string): string[] {
  const m = /^\s*(?:function\s*\w*\s*)?\(([^)]*)\)/.exec(fn.toString());
  return (m?.[1] ?? '')
    .split(',')
    .map((p) => p.trim().replace(/[?=].*$/, '').trim())
    .filter(Boolean);
}

/** A message with each parameter shown as `<name>`. */
export function messageShape(code: ErrorCode): string {
  const fn = ERRORS[code].message as (...args: unknown[]) => string;
  return fn(...templateParameters(fn).map((p) => `<${p}>`));
}

/** A table cell: GitHub tables split on `|`, even inside code spans. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function renderErrorReference(): string {
  const out = [
    '# Error reference',
    '',
    '<!-- generated from checks/errors.ts by `npm run docs`; do not edit by hand -->',
    '',
    `Every error has a stable code. The CLI prints the message on one line (\`linkerd-cert-guard: <message>\`) and exits ${USAGE_EXIT_CODE};`,
    'the webhook answers with the status below and a JSON body `{"statusCode", "code", "error", "message"}`.',
    'Findings about your manifests or cluster are not errors: they are reported, and decide exit code 1.',
    '',
    '| code | HTTP status | message | meaning |',
    '|---|---|---|---|',
  ];
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const e = ERRORS[code];
    out.push(`| \`${code}\` | ${e.status} | \`${cell(messageShape(code))}\` | ${cell(e.summary)} |`);
  }
  return out.join('\n') + '\n';
}

const invoked = process.argv[1] ?? '';
if (invoked.endsWith('/error-docs.js')) process.stdout.write(renderErrorReference());
