import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { bundleState, decodeCertificates, deriveState } from '../../../checks/identity/state.js';
import { keyPem, makeLinkerdChain, toPem } from '../../helpers/pki.js';

t.test('decodeCertificates: Linkerd semantics, located errors', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  t.equal(decodeCertificates({ text: issuer.pem + anchor.pem, from: 'f' }).certs.length, 2);
  t.equal(decodeCertificates({ text: issuer.pem + '\n', from: 'f' }).error, `not a PEM certificate (f: line ${issuer.pem.split('\n').length}: blank line after block 1)`);
  t.equal(decodeCertificates({ text: toPem('CERTIFICATE', new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), from: 'f' }).error, 'x509: malformed certificate (f: block 1, line 1)');
});

t.test('deriveState: key, certificate, anchors, bundle, anchor secrets', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  const base = { now: new Date(), config: resolveConfig(), mode: 'files' as const, scheme: 'files', configErrors: [], anchorSecrets: [{ name: 'linkerd-trust-anchor', text: anchor.pem }] };
  const st = deriveState({ ...base, issuerCert: { text: issuer.pem + anchor.pem, from: 'i' }, issuerKey: { text: keyPem(issuer.key, 'sec1'), from: 'k' }, trustAnchors: { text: anchor.pem, from: 'a' }, trustBundle: { text: anchor.pem + keyPem(anchor.key), from: 'b' } });
  t.equal(st.configError, undefined);
  t.equal(st.issuer?.subjectCN, 'identity.linkerd.cluster.local');
  t.equal(st.issuerChain.length, 1, 'further certificates are intermediates');
  t.equal(st.anchors.length, 1);
  t.equal(st.bundle?.certs.length, 1);
  t.same(st.bundle?.badBlocks.map((b) => [b.block.index, b.reason]), [[2, 'is a PRIVATE KEY block, not a certificate']]);
  t.equal(st.anchorSecrets[0]?.certs.length, 1);
  const first = deriveState({ ...base, configErrors: ['from the loader'], issuerKey: { text: 'x', from: 'k' } });
  t.equal(first.configError, 'from the loader', 'loader errors come first');
  t.equal(deriveState({ ...base, issuerCert: { text: issuer.pem, from: 'i' } }).configError, 'no issuer private key given (--issuer-key, or tls.key/key.pem in the issuer Secret)');
  t.equal(deriveState({ ...base, trustBundle: { from: 'cm', missing: 'gone' } }).bundleMissing, 'gone');
  t.equal(bundleState('', 'x').certs.length, 0);
});
