import t from 'tap';
import { readFileSync } from 'node:fs';
import { describePemProblems, linkerdDecodeCertificates, scanPem } from '../../../checks/x509/pem.js';

const fixture = (n: string) => readFileSync(new URL(`../../fixtures/linkerd2/${n}`, import.meta.url), 'utf8');
const cert = fixture('valid-crt.pem');
const anchor = fixture('valid-trust-anchors.pem');

t.test('clean PEM decodes with no problems', async (t) => {
  const s = scanPem(anchor + cert);
  t.equal(s.blocks.length, 2);
  t.same(s.problems, []);
  t.equal(s.blocks[1]!.index, 2);
  t.equal(s.blocks[1]!.beginLine, anchor.split('\n').length);
  t.equal(linkerdDecodeCertificates(anchor + cert).certs.length, 2);
  t.equal(linkerdDecodeCertificates(anchor + cert).error, undefined);
  t.equal(describePemProblems(s), undefined);
});

t.test("Linkerd's semantics: one trailing newline is `not a PEM certificate`", async (t) => {
  t.equal(linkerdDecodeCertificates(cert + '\n').error, 'not a PEM certificate');
  t.equal(linkerdDecodeCertificates(cert + 'garbage').error, 'not a PEM certificate');
  t.equal(linkerdDecodeCertificates(cert.trimEnd()).error, undefined, 'no final newline is fine');
  t.equal(linkerdDecodeCertificates('junk before\n' + cert).error, undefined, 'Go skips junk before a block');
  t.equal(linkerdDecodeCertificates('').certs.length, 0);
  t.equal(linkerdDecodeCertificates('').error, undefined);
  t.equal(linkerdDecodeCertificates('nothing here').error, 'not a PEM certificate');
  const withKey = linkerdDecodeCertificates(cert + fixture('valid-key.pem') + 'trailing');
  t.equal(withKey.error, undefined, 'a non-certificate block ends parsing silently');
  t.equal(withKey.certs.length, 1);
});

t.test('strict scan names block and line of each problem', async (t) => {
  const s = scanPem(cert + '\n');
  t.equal(describePemProblems(s), `line ${cert.split('\n').length}: blank line after block 1`);
  const lines = cert.split('\n');
  lines[3] = lines[3]!.slice(0, 10) + '*' + lines[3]!.slice(11);
  const bad = scanPem(anchor + lines.join('\n'));
  const msg = describePemProblems(bad)!;
  t.match(msg, /^block 2 \(line \d+\): invalid base64 at line \d+, column 11$/);
  t.equal(bad.blocks.length, 1);
  t.equal(linkerdDecodeCertificates(anchor + lines.join('\n')).error, 'not a PEM certificate');
  t.match(describePemProblems(scanPem(cert.replace('-----END CERTIFICATE-----\n', '')))!, /block 1 \(line 1\): BEGIN CERTIFICATE has no END line/);
  t.match(describePemProblems(scanPem(cert.replace('END CERTIFICATE', 'END X')))!, /BEGIN CERTIFICATE ends with END X/);
  t.match(describePemProblems(scanPem('hello\n' + cert))!, /^line 1: text that is not PEM before block 1$/);
});

t.test('problems never echo block content', async (t) => {
  const key = fixture('valid-key.pem');
  const body = key.split('\n')[1]!;
  const broken = key.replace(body, body.slice(0, 20) + '!' + body.slice(21));
  const msg = describePemProblems(scanPem(broken))!;
  t.notMatch(msg, body.slice(0, 20));
  t.match(msg, /block 1 .*EC PRIVATE KEY|invalid base64/);
});
