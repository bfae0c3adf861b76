/**
 * The webhook's JSON logs. Lines carry the request's identity and verdict, never the object:
 * a Certificate is harmless, but a review could carry anything a user put in it. Redaction
 * is the second line of defence should an object ever be passed to a log call by mistake.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

// Exact paths only: wildcard paths tripled the cost of every log line (measured), and the
// webhook never nests an object deeper than these in a log call.
export const REDACTED_PATHS = ['object', 'oldObject', 'body', 'patch', 'key', 'request.object', 'request.oldObject', 'req.body', 'err.object'];

/**
 * A logger writing one JSON line per event. The process's own stdout is written through
 * pino's SonicBoom (direct, synchronous fd writes: nothing lost on exit, and a fraction of
 * the cost of process.stdout.write per line); any other stream (tests) is written as is.
 */
export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream): Logger {
  const target = destination === process.stdout ? pino.destination({ dest: 1, sync: true }) : destination;
  return pino(
    {
      name: 'linkerd-cert-guard',
      level,
      base: { service: 'linkerd-cert-guard' },
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    target,
  );
}

export type { Logger };
