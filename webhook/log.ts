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
 * pino's SonicBoom straight to fd 1, asynchronously: lines written while a write is in
 * flight go out together, which on a pipe (a container's stdout) halves the cost of a line
 * (measured), and the lines of one event-loop turn are one write (TickBatch). pino flushes it
 * when the process exits; `serve` also flushes after draining.
 * Any other stream (tests) is written as is.
 */
export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream): Logger {
  const target = destination === process.stdout ? new TickBatch(pino.destination({ dest: 1, sync: false })) : destination;
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
 * The lines logged in one turn of the event loop, handed to SonicBoom as one write at the end of the
 * turn (setImmediate): under load every admission logs a line, and one write per line was most of
 * the cost of logging (the webhook bench: about 60 of 150 µs of server CPU per request with info
 * logs). A line waits at most until the current turn ends; flush() and process exit write what is
 * pending first.
 */
export class TickBatch {
  private pending: string[] = [];
  private scheduled = false;

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
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
    return true;
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
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
