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
 * How the process's own stdout is written: lines are gathered into one write of about
 * LOG_BATCH_CHARS, or whatever LOG_FLUSH_MS brought. Under load every admission logs a line, and a
 * write per line (or per event-loop turn) was most of the cost of logging, measured by
 * test/bench/webhook.bench.ts; a quiet webhook's lines go out within LOG_FLUSH_MS.
 */
export const LOG_BATCH_CHARS = 16 * 1024;
export const LOG_FLUSH_MS = 250;
/**
 * Past this much unwritten output (stdout not read: a stalled log collector) lines are dropped
 * rather than held: memory stays bounded, and the webhook never blocks on its logs.
 */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;

/**
 * A logger writing one JSON line per event. The process's own stdout is written through pino's
 * SonicBoom straight to fd 1, asynchronously, in batches (LineBatch), bounded by LOG_BUFFER_MAX_BYTES.
 * Lines pending at exit are written synchronously; `serve` also flushes after draining. Any other
 * stream (tests) is written as is.
 */
export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream): Logger {
  const target = destination === process.stdout ? new LineBatch(pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_MAX_BYTES })) : destination;
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

interface Boom {
  write(s: string): boolean;
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
}

/**
 * Lines gathered in an array and handed to SonicBoom as one string once LOG_BATCH_CHARS have come,
 * or LOG_FLUSH_MS after the first of them. (SonicBoom's own minLength re-measures its whole buffer in
 * bytes on every line, which cost more than the writes it saves.) flush() and process exit write
 * what is pending first.
 */
export class LineBatch {
  private pending: string[] = [];
  private chars = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly boom: Boom) {
    process.once('exit', () => {
      if (this.pending.length === 0) return;
      this.drain();
      try {
        this.boom.flushSync();
      } catch {
        // stdout already gone: nothing more can be written
      }
    });
  }

  write(line: string): boolean {
    this.pending.push(line);
    this.chars += line.length;
    if (this.chars >= LOG_BATCH_CHARS) this.drain();
    else if (this.timer === undefined) this.timer = setTimeout(this.drain, LOG_FLUSH_MS).unref();
    return true;
  }

  private readonly drain = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.chars = 0;
    this.boom.write(text);
  };

  flush(cb?: (err?: Error) => void): void {
    this.drain();
    this.boom.flush(cb);
  }

  flushSync(): void {
    this.drain();
    this.boom.flushSync();
  }
}

/** Resolve once every line logged so far has been handed to the operating system. */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

export type { Logger };
