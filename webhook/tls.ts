/**
 * The serving certificate: loaded from a cert-manager Secret volume (`tls.crt`/`tls.key`) or
 * two files, validated as a pair, and watched so a rotation is picked up without a restart.
 *
 * The kubelet updates a Secret volume by writing a new `..<timestamp>` directory and
 * atomically renaming a `..data` symlink over the old one; a watch on the file itself goes
 * dead at that moment (kubernetes #111947). So the containing directory is watched, a poll
 * runs as a fallback, and a change is recognised by content (a fingerprint), never by event.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { guardError, type GuardError } from '../checks/errors.js';

export type TlsSource = { dir: string } | { certFile: string; keyFile: string };

export interface ServingPair {
  cert: Buffer;
  key: Buffer;
  /** sha256 over both files' bytes: what change detection compares */
  contentFingerprint: string;
  /** the leaf certificate's SHA-256 fingerprint, as openssl prints it (safe to log) */
  certFingerprint: string;
  serialNumber: string;
  subject: string;
  notAfter: Date;
}

export function tlsFiles(source: TlsSource): { certFile: string; keyFile: string } {
  return 'dir' in source ? { certFile: join(source.dir, 'tls.crt'), keyFile: join(source.dir, 'tls.key') } : source;
}

function readPairBytes(source: TlsSource): { cert: Buffer; key: Buffer; contentFingerprint: string } {
  const { certFile, keyFile } = tlsFiles(source);
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw guardError('LCG_TLS_INVALID', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  };
  const cert = read(certFile);
  const key = read(keyFile);
  const contentFingerprint = createHash('sha256').update(cert).update('\0').update(key).digest('hex');
  return { cert, key, contentFingerprint };
}

/**
 * Read and validate a serving pair. Errors name the file and the problem, never any of the
 * key's bytes (OpenSSL's messages do not carry them either).
 */
export function loadServingPair(source: TlsSource): ServingPair {
  const { certFile, keyFile } = tlsFiles(source);
  const { cert, key, contentFingerprint } = readPairBytes(source);
  return validatePair(cert, key, contentFingerprint, certFile, keyFile);
}

function validatePair(cert: Buffer, key: Buffer, contentFingerprint: string, certFile: string, keyFile: string): ServingPair {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw guardError('LCG_TLS_INVALID', `${certFile} is not a PEM certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw guardError('LCG_TLS_INVALID', `${keyFile} is not an unencrypted PEM private key`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw guardError('LCG_TLS_INVALID', `${keyFile} does not match the certificate in ${certFile}`);
  }
  try {
    createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0] ?? 'rejected';
    throw guardError('LCG_TLS_INVALID', `${certFile}/${keyFile} rejected by TLS: ${reason}`);
  }
  return {
    cert,
    key,
    contentFingerprint,
    certFingerprint: x509.fingerprint256,
    serialNumber: x509.serialNumber,
    subject: x509.subject.replace(/\n/g, ', '),
    notAfter: new Date(Date.parse(x509.validTo)),
  };
}

export interface WatcherOptions {
  /** poll period, the fallback when no directory event arrives */
  pollIntervalMs: number;
  /** wait after a directory event so a non-atomic writer can finish both files */
  debounceMs?: number;
  /** a new, valid pair was loaded (never called for the same content twice) */
  onLoad(pair: ServingPair): void;
  /** a changed pair could not be used; the previous one stays in service */
  onError(error: GuardError): void;
}

/** Watches a serving pair and reports each content change once, as a pair or an error. */
export class ServingCertificateWatcher {
  #source: TlsSource;
  #options: WatcherOptions;
  #current: ServingPair;
  /** the read failure last reported (a file mid-swap), so each distinct one is reported once */
  #lastReadError: string | undefined;
  /** the content fingerprint of the pair last refused, so a bad pair is not re-validated every poll */
  #lastRefusedPair: string | undefined;
  #watchers: FSWatcher[] = [];
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;

  constructor(source: TlsSource, initial: ServingPair, options: WatcherOptions) {
    this.#source = source;
    this.#current = initial;
    this.#options = options;
  }

  get current(): ServingPair {
    return this.#current;
  }

  start(): void {
    const { certFile, keyFile } = tlsFiles(this.#source);
    for (const dir of new Set([dirname(certFile), dirname(keyFile)])) {
      try {
        const w = watch(dir, { persistent: false }, () => this.#schedule());
        // A vanished directory kills the watch; the poll carries on.
        w.on('error', () => w.close());
        this.#watchers.push(w);
      } catch {
        // no inotify (or no such directory yet): the poll is enough
      }
    }
    this.#poll = setInterval(() => this.check(), this.#options.pollIntervalMs);
    this.#poll.unref();
  }

  stop(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
  }

  #schedule(): void {
    if (this.#debounce) return;
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.check();
    }, this.#options.debounceMs ?? 100);
    this.#debounce.unref();
  }

  /** Re-read the files; load them if their content changed. Returns whether a new pair was loaded. */
  check(): boolean {
    let bytes;
    try {
      bytes = readPairBytes(this.#source);
    } catch (e) {
      // Mid-swap a file can be briefly missing; report it once per distinct failure.
      const err = e as GuardError;
      if (this.#lastReadError !== err.message) {
        this.#lastReadError = err.message;
        this.#options.onError(err);
      }
      return false;
    }
    this.#lastReadError = undefined;
    if (bytes.contentFingerprint === this.#current.contentFingerprint || bytes.contentFingerprint === this.#lastRefusedPair) {
      return false;
    }
    const { certFile, keyFile } = tlsFiles(this.#source);
    try {
      const pair = validatePair(bytes.cert, bytes.key, bytes.contentFingerprint, certFile, keyFile);
      this.#current = pair;
      this.#lastRefusedPair = undefined;
      this.#options.onLoad(pair);
      return true;
    } catch (e) {
      this.#lastRefusedPair = bytes.contentFingerprint;
      this.#options.onError(e as GuardError);
      return false;
    }
  }
}
