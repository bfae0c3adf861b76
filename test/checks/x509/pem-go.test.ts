import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { linkerdDecodeCertificates } from '../../../checks/x509/pem.js';

// Differential test: linkerdDecodeCertificates against Linkerd's DecodePEMCertificates loop over Go's
// encoding/pem (goverify/main.go, mode `pem`). Skipped without a Go toolchain.
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const oracle = fileURLToPath(new URL('./goverify/main.go', import.meta.url));
const fx = (n: string) => readFileSync(new URL(`../../fixtures/linkerd2/${n}`, import.meta.url), 'utf8');

t.test("PEM decoding agrees with Linkerd's Go decoder", { skip: goVersion.status === 0 ? false : 'no Go toolchain on PATH' }, async (t) => {
  const a = fx('valid-trust-anchors.pem');
  const c = fx('valid-crt.pem');
  const key = fx('valid-key.pem');
  const crlf = a.replace(/\n/g, '\r\n');
  const inputs: Record<string, string> = {
    'one cert': a,
    'two certs': a + c,
    'trailing newline': a + '\n',
    'trailing spaces line': a + '   \n',
    'no final newline': a.trimEnd(),
    'CRLF': crlf,
    'CRLF and a blank CRLF': crlf + '\r\n',
    'junk before': 'hello\n' + a,
    'junk between': a + 'comment\n' + c,
    'blank line between': a + '\n' + c,
    'key after cert, then junk': a + key + 'junk',
    'key first': key + a,
    'empty': '',
    'only junk': 'nothing here\n',
    'missing END': a.replace('-----END CERTIFICATE-----\n', ''),
    'bad base64 in the second block': a + c.replace(/\n(.{10})./, '\n$1*'),
    'leading spaces before BEGIN': '  ' + a,
  };
  const names = Object.keys(inputs);
  const go = spawnSync('go', ['run', oracle, 'pem'], { input: JSON.stringify(names.map((n) => inputs[n])), encoding: 'utf8', timeout: 180_000 });
  t.equal(go.status, 0, `go run: ${go.stderr.split('\n')[0] ?? ''}`);
  const want = JSON.parse(go.stdout) as Array<{ certs: number; error: string }>;
  for (const [i, n] of names.entries()) {
    const d = linkerdDecodeCertificates(inputs[n]!);
    t.same({ certs: d.error ? want[i]!.certs : d.certs.length, error: d.error ?? '' }, want[i], n);
  }
});
