import t from 'tap';
import { keyPem, issue, makeKeyPair, makeLinkerdChain, pemBundle, selfSigned } from '../../helpers/pki.js';
import { describeRotation, rotationPlanOf } from '../../../checks/identity/trust-bundle.js';
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
  t.match(o.byId.get('lcg-trust-bundle-rotation-phase')?.error, /phase: blocked: the identity issuer .* is signed by neither/);
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

t.test("anchor rotation: the phase names the next step in the order of Linkerd's guide, never the issuer before the restarts", async (t) => {
  const config = resolveConfig();
  const oldChain = await makeLinkerdChain({ anchor: { notBefore: new Date(Date.now() - 100 * 86400_000) } });
  const newAnchor = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true });
  const newIssuer = await issue(await makeKeyPair('P-256'), newAnchor, { cn: 'identity.linkerd.cluster.local', isCA: true, pathLen: 0 });
  const pod = (ns: string, name: string, startTime: string, anchors: string) => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels: { 'linkerd.io/control-plane-ns': 'linkerd' } },
    spec: { containers: [{ name: 'linkerd-proxy', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: anchors }] }] },
    status: { startTime, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const phase = async (issuerPem: string, keyText: string, bundle: string, objects: object[] = [], proxy = false) => {
    const snap = buildSnapshot({ config, now: new Date(), mode: 'files', objects: objects as never[], proxy,
      issuerCert: { text: issuerPem, from: 'i' }, issuerKey: { text: keyText, from: 'k' }, trustAnchors: { text: bundle, from: 'a' }, trustBundle: { text: bundle, from: 'b' } });
    const st = deriveState(snap);
    return describeRotation(await rotationPlanOf(st, st.anchors));
  };
  t.equal(await phase(oldChain.issuer.pem, keyPem(oldChain.issuer.key), oldChain.anchor.pem), undefined, 'steady: nothing to say');
  const both = newAnchor.pem + oldChain.anchor.pem;
  const later = new Date(Date.now() + 60_000).toISOString();
  const earlier = new Date(Date.now() - 86400_000).toISOString();
  const staged = await phase(oldChain.issuer.pem, keyPem(oldChain.issuer.key), both, [pod('linkerd', 'linkerd-identity-1', earlier, oldChain.anchor.pem)], true);
  t.match(staged, /^anchor rotation phase: rotating: done renew-anchor; step 2 restart-control-plane is next: 1 control-plane pod\(s\) started before the bundle changed or are not Ready: linkerd\/linkerd-identity-1\n\tnext: restart the control plane \(linkerd-cert-guard rotate --apply\)$/);
  t.notMatch(staged, /renew the identity issuer/, 'the issuer is not renewed before the proxies trust the new anchor');
  const cpDone = await phase(oldChain.issuer.pem, keyPem(oldChain.issuer.key), both, [pod('linkerd', 'linkerd-identity-1', later, both), pod('emojivoto', 'web-1', earlier, oldChain.anchor.pem)], true);
  t.match(cpDone, /step 3 restart-data-plane is next: 1 meshed pod\(s\) whose proxy does not trust both anchors: emojivoto\/web-1/);
  const dpDone = await phase(oldChain.issuer.pem, keyPem(oldChain.issuer.key), both, [pod('linkerd', 'linkerd-identity-1', later, both), pod('emojivoto', 'web-1', later, both)], true);
  t.match(dpDone, /step 4 renew-issuer is next: the issuer .* is still signed by the old anchor\n\tnext: renew the identity issuer/);
  const early = await phase(newIssuer.pem, keyPem(newIssuer.key), both, [pod('linkerd', 'linkerd-identity-1', earlier, oldChain.anchor.pem)], true);
  t.match(early, /^anchor rotation phase: blocked: the identity issuer was re-issued under the new anchor before every workload trusted it/, "the older guide's order is caught");
  const noProxy = await phase(oldChain.issuer.pem, keyPem(oldChain.issuer.key), both, [pod('linkerd', 'linkerd-identity-1', later, both)]);
  t.match(noProxy, /step 3 restart-data-plane is unknown: the meshed pods are not known/, 'without --proxy the data plane is unknown, not assumed');
  // through the runner: a warning, the report still succeeds
  const o = await runScenario({ issuer: oldChain.issuer, anchors: oldChain.anchor.pem, bundle: newAnchor.pem + oldChain.anchor.pem });
  const r = o.byId.get('lcg-trust-bundle-rotation-phase')!;
  t.equal(r.result, 'warning');
  t.match(r.error, /^anchor rotation phase: rotating: done renew-anchor; step 2 restart-control-plane is /);
  t.ok(o.report.success);
  t.ok(parseCertificate(newAnchor.der).basicConstraints?.isCA);
});
