import t from 'tap';
import { keyPem, issue, makeKeyPair, makeLinkerdChain, pemBundle, selfSigned } from '../../helpers/pki.js';
import { rotationPhase } from '../../../checks/identity/trust-bundle.js';
import { deriveState } from '../../../checks/identity/state.js';
import { buildSnapshot } from '../../../checks/cluster/snapshot.js';
import { resolveConfig } from '../../../checks/config.js';
import { parseCertificate } from '../../../checks/x509/certificate.js';
import { runScenario } from './scenario.js';

t.test('a healthy bundle passes, in order', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  const o = await runScenario({ issuer, anchors: anchor.pem, bundle: anchor.pem });
  const cat = o.report.categories.find((c) => c.name === 'linkerd-identity-trust-bundle')!;
  t.same(cat.results.map((r) => [r.id, r.result]), [
    ['lcg-trust-bundle-exists', 'success'],
    ['lcg-trust-bundle-strict-pem', 'success'],
    ['lcg-trust-bundle-only-ca-certificates', 'success'],
    ['lcg-trust-bundle-no-duplicates', 'success'],
    ['lcg-trust-bundle-anchors-valid', 'success'],
    ['lcg-trust-bundle-issuer-chains', 'success'],
    ['lcg-trust-bundle-contains-anchors', 'success'],
    ['lcg-trust-bundle-rotation-phase', 'success'],
  ]);
  const none = await runScenario({ issuer, anchors: anchor.pem });
  t.notOk(none.report.categories.some((c) => c.name === 'linkerd-identity-trust-bundle'), 'no bundle input: category not run');
});

t.test('bundle missing the anchor: issuer does not chain to it even though linkerd-identity passes', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  const other = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true });
  const o = await runScenario({ issuer, anchors: anchor.pem, bundle: other.pem });
  t.equal(o.byId.get('l5d-identity-issuer-cert-issued-by-trust-anchor')?.result, 'success');
  t.equal(o.byId.get('lcg-trust-bundle-issuer-chains')?.result, 'error');
  t.match(o.byId.get('lcg-trust-bundle-issuer-chains')?.error, /does not chain to ca-bundle\.crt: x509: certificate signed by unknown authority \(possibly because of "x509: ECDSA verification failure"/);
  t.equal(o.byId.get('lcg-trust-bundle-contains-anchors')?.result, 'error');
  t.match(o.byId.get('lcg-trust-bundle-contains-anchors')?.error, /^Trust anchors missing from ca-bundle\.crt \(from ca\.crt\):\n\t\* \d+ root\.linkerd\.cluster\.local \(expires /);
  t.equal(o.byId.get('lcg-trust-bundle-rotation-phase')?.result, 'warning');
  t.match(o.byId.get('lcg-trust-bundle-rotation-phase')?.error, /phase: broken/);
  t.notOk(o.report.success);
});

t.test('bundle carrying a private key or a leaf; key bytes never echoed', async (t) => {
  const { anchor, issuer, leaf } = await makeLinkerdChain({ leaf: true });
  const key = keyPem(anchor.key, 'sec1');
  const o = await runScenario({ issuer, anchors: anchor.pem, bundle: anchor.pem + key + leaf!.pem });
  const r = o.byId.get('lcg-trust-bundle-only-ca-certificates')!;
  t.equal(r.result, 'error');
  t.match(r.error, /block 2 \(line \d+\) is a EC PRIVATE KEY: a private key is published to every namespace/);
  t.match(r.error, /block 3 \(line \d+\): \d+ default\.default\.serviceaccount\.identity\.linkerd\.cluster\.local is not a CA certificate/);
  const secretLine = key.split('\n')[1]!;
  t.notMatch(JSON.stringify(o.report), secretLine.slice(0, 24), 'no key material in the report');
});

t.test('strict PEM, duplicates, expired anchors in the bundle', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  const strict = await runScenario({ issuer, anchors: anchor.pem, bundle: anchor.pem + '\n# comment\n' });
  t.equal(strict.byId.get('lcg-trust-bundle-strict-pem')?.result, 'error');
  t.match(strict.byId.get('lcg-trust-bundle-strict-pem')?.error, /ca-bundle\.crt does not parse strictly:\n\t\* line \d+: blank line after block 1/);
  const dup = await runScenario({ issuer, anchors: anchor.pem, bundle: anchor.pem + anchor.pem });
  t.equal(dup.byId.get('lcg-trust-bundle-no-duplicates')?.result, 'warning');
  t.match(dup.byId.get('lcg-trust-bundle-no-duplicates')?.error, /block 2 repeats block 1/);
  const old = await selfSigned(await makeKeyPair('P-256'), { cn: 'old-root', isCA: true, notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
  const exp = await runScenario({ issuer, anchors: anchor.pem, bundle: anchor.pem + old.pem });
  t.equal(exp.byId.get('lcg-trust-bundle-anchors-valid')?.result, 'error');
  t.match(exp.byId.get('lcg-trust-bundle-anchors-valid')?.error, /\* \d+ old-root not valid anymore\. Expired on 2021-01-01T00:00:00Z/);
  const empty = await runScenario({ issuer, anchors: anchor.pem, bundle: '' });
  t.match(empty.byId.get('lcg-trust-bundle-strict-pem')?.error, /no certificate in the bundle/);
});

t.test('anchor rotation: each phase names the next step', async (t) => {
  const config = resolveConfig();
  const oldChain = await makeLinkerdChain({ anchor: { notBefore: new Date(Date.now() - 100 * 86400_000) } });
  const newAnchor = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true });
  const newIssuer = await issue(await makeKeyPair('P-256'), newAnchor, { cn: 'identity.linkerd.cluster.local', isCA: true, pathLen: 0 });
  const phase = async (issuerPem: string, keyText: string, bundle: string, objects: object[] = [], proxy = false) => {
    const snap = buildSnapshot({ config, now: new Date(), mode: 'files', objects: objects as never[], proxy,
      issuerCert: { text: issuerPem, from: 'i' }, issuerKey: { text: keyText, from: 'k' }, trustAnchors: { text: bundle, from: 'a' } });
    const st = deriveState(snap);
    return rotationPhase(st, st.anchors);
  };
  const steady = await phase(oldChain.issuer.pem, keyPem(oldChain.issuer.key), oldChain.anchor.pem);
  t.equal(steady.phase, 'steady');
  const staged = await phase(oldChain.issuer.pem, keyPem(oldChain.issuer.key), newAnchor.pem + oldChain.anchor.pem);
  t.equal(staged.phase, 'new anchor staged');
  t.match(staged.next, /^step 2: re-issue the identity issuer under the new anchor: cmctl renew -n linkerd linkerd-identity-issuer$/);
  const reissued = await phase(newIssuer.pem, keyPem(newIssuer.key), newAnchor.pem + oldChain.anchor.pem);
  t.equal(reissued.phase, 'issuer re-issued under the new anchor');
  t.match(reissued.next, /^step 3: restart the control plane \(kubectl rollout restart -n linkerd deploy\), then step 4/);
  const pod = (ns: string, name: string, startTime: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels: { 'linkerd.io/control-plane-ns': 'linkerd' } }, spec: { containers: [] }, status: { startTime } });
  const later = new Date(Date.now() + 60_000).toISOString();
  const earlier = new Date(Date.now() - 86400_000).toISOString();
  const cpStale = await phase(newIssuer.pem, keyPem(newIssuer.key), newAnchor.pem + oldChain.anchor.pem, [pod('linkerd', 'linkerd-identity-1', earlier)]);
  t.match(cpStale.next, /control-plane pods started before the new issuer: linkerd-identity-1/);
  const dpStale = await phase(newIssuer.pem, keyPem(newIssuer.key), newAnchor.pem + oldChain.anchor.pem, [pod('linkerd', 'linkerd-identity-1', later), pod('emojivoto', 'web-1', earlier)], true);
  t.equal(dpStale.phase, 'issuer re-issued under the new anchor');
  t.match(dpStale.next, /^step 4: restart the data plane: emojivoto\/web-1$/);
  const trusted = await phase(newIssuer.pem, keyPem(newIssuer.key), newAnchor.pem + oldChain.anchor.pem, [pod('linkerd', 'linkerd-identity-1', later), pod('emojivoto', 'web-1', later)], true);
  t.equal(trusted.phase, 'old anchor still trusted');
  t.match(trusted.next, /^step 5: remove the old anchor from the bundle: copy Secret cert-manager\/linkerd-trust-anchor over cert-manager\/linkerd-previous-anchor$/);
  // through the runner: a warning with the phase and the next step
  const o = await runScenario({ issuer: oldChain.issuer, anchors: oldChain.anchor.pem, bundle: newAnchor.pem + oldChain.anchor.pem });
  const r = o.byId.get('lcg-trust-bundle-rotation-phase')!;
  t.equal(r.result, 'warning');
  t.match(r.error, /^anchor rotation phase: new anchor staged: .*\n\tnext: step 2: /);
  t.ok(o.report.success);
  t.ok(parseCertificate(newAnchor.der).basicConstraints?.isCA);
});
