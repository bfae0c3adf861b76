/**
 * The webhook's JSON logs. Lines carry the request's identity and verdict, never the object:
 * a Certificate is harmless, but a review could carry anything a user put in it. Redaction
 * is the second line of defence should an object ever be passed to a log call by mistake.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export const REDACTED_PATHS = [
  'object',
  'oldObject',
  'body',
  'patch',
  'key',
  '*.object',
  '*.oldObject',
  '*.body',
  '*.key',
  'request.object',
  'request.oldObject',
  'req.body',
];

export function createLogger(level: LevelWithSilent, destination: NodeJS.WritableStream): Logger {
  return pino(
    {
      name: 'linkerd-cert-guard',
      level,
      base: { service: 'linkerd-cert-guard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

export type { Logger };
