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
 * What the process's own stdout buffers before one write, and how long a line may wait there. Under
 * load every admission logs a line; a write per line (even one per event-loop turn) was most of the
 * cost of logging, measured by test/bench/webhook.bench.ts. A quiet webhook's lines go out within
 * LOG_FLUSH_MS.
 */
export const LOG_BATCH_BYTES = 8 * 1024;
export const LOG_FLUSH_MS = 250;
/**
 * Past this much unwritten output (stdout not read: a stalled log collector) lines are dropped
 * rather than held: memory stays bounded, and the webhook never blocks on its logs.
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * A logger writing one JSON line per event. The process's own stdout is written through pino's
 * SonicBoom straight to fd 1, asynchronously, in batches of LOG_BATCH_BYTES (or every LOG_FLUSH_MS),
 * bounded by LOG_BUFFER_MAX_BYTES. pino flushes it synchronously when the process exits; `serve` also
 * flushes after draining. Any other stream (tests) is written as is.
 */
export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream): Logger {
  const target =
    destination === process.stdout
      ? pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS, maxLength: LOG_BUFFER_MAX_BYTES })
      : destination;
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

/** Resolve once every line logged so far has been handed to the operating system. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

export type { Logger };
