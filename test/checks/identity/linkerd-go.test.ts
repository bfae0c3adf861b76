import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { issue, keyPem, makeKeyPair, makeLinkerdChain, pemBundle, selfSigned, type TestCert } from '../../helpers/pki.js';
import { runScenario } from './scenario.js';

// Differential test: the message of "issuer cert is issued by the trust anchor" against Go's crypto/x509
// Verify plus the annotation Linkerd's Crt.Verify adds to an expiry error (goverify/main.go, mode
// `crtverify`, at a fixed current time). Skipped without a Go toolchain.
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const oracle = fileURLToPath(new URL('../x509/goverify/main.go', import.meta.url));
const rfc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const ID = 'l5d-identity-issuer-cert-issued-by-trust-anchor';

t.test('issuer chain verification messages agree with Linkerd over Go', { skip: goVersion.status === 0 ? false : 'no Go toolchain on PATH' }, async (t) => {
  const now = new Date('2026-06-01T12:00:00Z');
  const y = (s: string) => new Date(`${s}T00:00:00Z`);
  const anchor = (await makeLinkerdChain({ anchor: { notBefore: y('2020-01-01'), notAfter: y('2100-01-01') } })).anchor;
  const under = async (parent: TestCert, cn: string, notBefore: Date, notAfter: Date) => issue(await makeKeyPair('P-256'), parent, { cn, isCA: true, notBefore, notAfter });
  const issuerUnder = (parent: TestCert) => under(parent, 'identity.linkerd.cluster.local', y('2026-05-01'), y('2026-12-01'));
  const expiredMid = await under(anchor, 'mid', y('2025-01-01'), y('2026-01-01'));
  const futureMid = await under(anchor, 'mid', y('2027-01-01'), y('2028-01-01'));
  const goodMid = await under(anchor, 'mid', y('2025-01-01'), y('2027-01-01'));
  const stranger = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true, notBefore: y('2020-01-01'), notAfter: y('2100-01-01') });
  const cases: Array<{ name: string; issuer: TestCert; intermediates: TestCert[] }> = [
    { name: 'expired intermediate', issuer: await issuerUnder(expiredMid), intermediates: [expiredMid] },
    { name: 'not-yet-valid intermediate', issuer: await issuerUnder(futureMid), intermediates: [futureMid] },
    { name: 'valid intermediate', issuer: await issuerUnder(goodMid), intermediates: [goodMid] },
    { name: 'issuer directly under the anchor', issuer: await issuerUnder(anchor), intermediates: [] },
    { name: 'issuer under another root (no annotation)', issuer: await issuerUnder(stranger), intermediates: [] },
  ];
  const input = JSON.stringify(cases.map((c) => ({ roots: anchor.pem, intermediates: pemBundle(...c.intermediates), leaf: c.issuer.pem, now: rfc(now) })));
  const go = spawnSync('go', ['run', oracle, 'crtverify'], { input, encoding: 'utf8', timeout: 180_000 });
  t.equal(go.status, 0, `go run: ${go.stderr.split('\n')[0] ?? ''}`);
  const want = JSON.parse(go.stdout) as string[];
  for (const [i, c] of cases.entries()) {
    const o = await runScenario({ issuer: pemBundle(c.issuer, ...c.intermediates), key: keyPem(c.issuer.key, 'sec1'), anchors: anchor.pem, now });
    const r = o.byId.get(ID);
    t.equal(r?.result === 'success' ? 'ok' : r?.error, want[i], c.name);
  }
  t.match(want[0], / - Current Time : 2026-06-01 12:00:00 \+0000 UTC - Invalid before 2026-05-01 00:00:00 \+0000 UTC - Invalid After 2026-12-01 00:00:00 \+0000 UTC$/, 'the oracle annotates the expiry error');
});
