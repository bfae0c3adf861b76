import t from 'tap';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { decodePrivateKey } from '../../../checks/x509/keys.js';
import { keyPem, makeKeyPair, toPem } from '../../helpers/pki.js';

// Differential test: decodePrivateKey against Linkerd's DecodePEMKey over Go's crypto/x509
// (goverify/main.go, mode `key`): which keys are kept, and the text of the refusals Linkerd prints.
// Skipped without a Go toolchain.
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const oracle = fileURLToPath(new URL('./goverify/main.go', import.meta.url));

const pkcs8 = (type: 'ed25519' | 'ed448' | 'x25519' | 'x448') => generateKeyPairSync(type as 'ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

t.test("private key decoding agrees with Linkerd's Go decoder", { skip: goVersion.status === 0 ? false : 'no Go toolchain on PATH' }, async (t) => {
  const ec = await makeKeyPair('P-256');
  const ec384 = await makeKeyPair('P-384');
  const rsa = await makeKeyPair('RSA-2048');
  const inputs: Record<string, string> = {
    'EC PKCS#8': keyPem(ec, 'pkcs8'),
    'EC SEC1': keyPem(ec, 'sec1'),
    'P-384 SEC1': keyPem(ec384, 'sec1'),
    'RSA PKCS#8': keyPem(rsa, 'pkcs8'),
    'RSA PKCS#1': keyPem(rsa, 'pkcs1'),
    'Ed25519 PKCS#8': pkcs8('ed25519'),
    'X25519 PKCS#8': pkcs8('x25519'),
    'Ed448 PKCS#8': pkcs8('ed448'),
    'X448 PKCS#8': pkcs8('x448'),
    'RSA-PSS PKCS#8': generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'DSA PKCS#8': generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    'not PEM': 'not a key',
    'encrypted PKCS#8': toPem('ENCRYPTED PRIVATE KEY', new Uint8Array([1, 2, 3])),
    'a certificate block': toPem('CERTIFICATE', new Uint8Array([1, 2, 3])),
  };
  const names = Object.keys(inputs);
  const go = spawnSync('go', ['run', oracle, 'key'], { input: JSON.stringify(names.map((n) => inputs[n])), encoding: 'utf8', timeout: 180_000 });
  t.equal(go.status, 0, `go run: ${go.stderr.split('\n')[0] ?? ''}`);
  const want = JSON.parse(go.stdout) as string[];
  t.equal(want.length, names.length);
  for (const [i, name] of names.entries()) {
    const r = decodePrivateKey(inputs[name] as string);
    t.equal(r.ok ? 'ok' : r.error, want[i], name);
  }
  t.equal(want[names.indexOf('Ed25519 PKCS#8')], "unsupported PKCS#8 encoded private key type: 'ed25519.PrivateKey', linkerd2 only supports ECDSA and RSA private keys", 'the oracle prints Go\'s type name');
});
