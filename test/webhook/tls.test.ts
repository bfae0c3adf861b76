import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuardError } from '../../checks/errors.js';
import { loadServingPair, ServingCertificateWatcher, type ServingPair } from '../../webhook/tls.js';
import { makeServingCert, swapSecretVolume, writeSecretVolume } from './helpers.js';

const first = await makeServingCert('first.test');
const second = await makeServingCert('second.test');
const third = await makeServingCert('third.test');
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

function volume(files = first): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'lcg-tls-')), 'serving-cert');
  writeSecretVolume(dir, { 'tls.crt': files.certPem, 'tls.key': files.keyPem });
  return dir;
}

function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > until) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

t.test('a Secret volume pair loads, with what is safe to log', async (t) => {
  const pair = loadServingPair({ dir: volume() });
  t.equal(pair.certFingerprint, fingerprint(first.certPem));
  t.match(pair.subject, /CN=first\.test/);
  t.ok(pair.notAfter.getTime() > Date.now() + 300 * 86400_000, 'notAfter parsed');
  t.equal(pair.contentFingerprint.length, 64);
});

t.test('bad pairs are refused in one line that never carries key bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lcg-tls-bad-'));
  const keyBody = first.keyPem.split('\n')[1] ?? 'unreachable';
  const write = (crt: string, key: string): { certFile: string; keyFile: string } => {
    const certFile = join(dir, `c${Math.random()}.crt`);
    const keyFile = join(dir, `k${Math.random()}.key`);
    writeFileSync(certFile, crt);
    writeFileSync(keyFile, key);
    return { certFile, keyFile };
  };
  const cases: Array<[string, () => ServingPair, RegExp]> = [
    ['missing directory', () => loadServingPair({ dir: join(dir, 'nope') }), /^cannot read .*nope\/tls\.crt: ENOENT$/],
    ['missing key', () => loadServingPair({ certFile: write(first.certPem, '').certFile, keyFile: join(dir, 'absent.key') }), /^cannot read .*absent\.key: ENOENT$/],
    ['not a certificate', () => loadServingPair(write('hello', first.keyPem)), /is not a PEM certificate$/],
    ['not a key', () => loadServingPair(write(first.certPem, 'hello')), /is not an unencrypted PEM private key$/],
    ['someone else\'s key', () => loadServingPair(write(first.certPem, second.keyPem)), /does not match the certificate in /],
  ];
  for (const [name, load, expected] of cases) {
    try {
      load();
      t.fail(`${name}: accepted`);
    } catch (e) {
      t.type(e, GuardError, name);
      t.equal((e as GuardError).code, 'LCG_TLS_INVALID');
      t.match((e as Error).message, expected, name);
      t.notMatch((e as Error).message, /\n/);
      t.notOk((e as Error).message.includes(keyBody), `${name}: no key bytes`);
    }
  }
});

t.test('the kubelet\'s ..data symlink swap is seen through the directory watch', async (t) => {
  const dir = volume();
  const loads: ServingPair[] = [];
  const errors: GuardError[] = [];
  // An hour-long poll: only the directory event can explain a prompt reload.
  const w = new ServingCertificateWatcher({ dir }, loadServingPair({ dir }), {
    pollIntervalMs: 3_600_000,
    debounceMs: 20,
    onLoad: (p) => loads.push(p),
    onError: (e) => errors.push(e),
  });
  w.start();
  t.teardown(() => w.stop());
  swapSecretVolume(dir, { 'tls.crt': second.certPem, 'tls.key': second.keyPem });
  await waitFor('reload', () => loads.length === 1);
  t.equal(loads[0]?.certFingerprint, fingerprint(second.certPem));
  t.equal(w.current.certFingerprint, fingerprint(second.certPem));
  t.equal(w.check(), false, 'same content: no second load');

  // A broken pair (cert and key from different certificates) keeps the old one, reported once.
  swapSecretVolume(dir, { 'tls.crt': third.certPem, 'tls.key': first.keyPem });
  await waitFor('error', () => errors.length === 1);
  t.match(errors[0]?.message, /does not match/);
  t.equal(w.current.certFingerprint, fingerprint(second.certPem), 'still serving the previous pair');
  t.equal(w.check(), false);
  t.equal(errors.length, 1, 'the same broken content is reported once');

  swapSecretVolume(dir, { 'tls.crt': third.certPem, 'tls.key': third.keyPem });
  await waitFor('recovery', () => loads.length === 2);
  t.equal(w.current.certFingerprint, fingerprint(third.certPem));
  t.equal(errors.length, 1);
});

t.test('the poll finds a change no event announced (files replaced in another directory)', async (t) => {
  const outer = mkdtempSync(join(tmpdir(), 'lcg-tls-poll-'));
  const dir = join(outer, 'vol');
  writeSecretVolume(dir, { 'tls.crt': first.certPem, 'tls.key': first.keyPem });
  const loads: ServingPair[] = [];
  const w = new ServingCertificateWatcher({ dir }, loadServingPair({ dir }), { pollIntervalMs: 50, onLoad: (p) => loads.push(p), onError: () => undefined });
  w.start();
  t.teardown(() => w.stop());
  // Rewrite the file the ..data link points at: inotify on `dir` does not see writes inside ..<ts>/.
  const target = join(dir, '..data', 'tls.crt');
  const keyTarget = join(dir, '..data', 'tls.key');
  writeFileSync(keyTarget, second.keyPem);
  writeFileSync(target, second.certPem);
  await waitFor('poll reload', () => loads.length >= 1 && w.current.certFingerprint === fingerprint(second.certPem));
  t.equal(w.current.certFingerprint, fingerprint(second.certPem));
});
