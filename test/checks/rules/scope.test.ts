import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { roleOf, ROLE_LABEL } from '../../../checks/rules/scope.js';

const config = resolveConfig();
const cert = (metadata: object, spec: object = {}) => ({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata, spec });

t.test('identity issuer: by name, secretName (any namespace), DNS name, or label', async (t) => {
  t.equal(roleOf(cert({ name: 'linkerd-identity-issuer', namespace: 'default' }), config), 'identity-issuer');
  t.equal(roleOf(cert({ name: 'x' }, { secretName: 'linkerd-identity-issuer' }), config), 'identity-issuer');
  t.equal(roleOf(cert({ name: 'x' }, { commonName: 'identity.linkerd.cluster.local' }), config), 'identity-issuer');
  t.equal(roleOf(cert({ name: 'x' }, { dnsNames: ['identity.linkerd.cluster.local'] }), config), 'identity-issuer');
  t.equal(roleOf(cert({ name: 'x', labels: { [ROLE_LABEL]: 'identity-issuer' } }), config), 'identity-issuer');
  t.equal(roleOf(cert({ name: 'x' }, { commonName: 'identity.mesh.example.org' }), resolveConfig({ linkerdNamespace: 'mesh', trustDomain: 'example.org' })), 'identity-issuer');
});

t.test('trust anchor: configured names, the root CN, or label', async (t) => {
  t.equal(roleOf(cert({ name: 'linkerd-trust-anchor' }), config), 'trust-anchor');
  t.equal(roleOf(cert({ name: 'x' }, { secretName: 'linkerd-previous-anchor' }), config), 'trust-anchor');
  t.equal(roleOf(cert({ name: 'x' }, { commonName: 'root.linkerd.cluster.local' }), config), 'trust-anchor');
  t.equal(roleOf(cert({ name: 'x', labels: { [ROLE_LABEL]: 'trust-anchor' } }, { secretName: 'linkerd-identity-issuer' }), config), 'trust-anchor', 'the label wins');
});

t.test('trust bundle: name, selector label, target key, or label; Bundle and ClusterBundle', async (t) => {
  const b = (metadata: object, spec: object = {}) => ({ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata, spec });
  t.equal(roleOf(b({ name: 'linkerd-identity-trust-roots' }), config), 'trust-bundle');
  t.equal(roleOf(b({ name: 'x' }, { target: { namespaceSelector: { matchLabels: { 'linkerd.io/is-control-plane': 'true' } } } }), config), 'trust-bundle');
  t.equal(roleOf(b({ name: 'x' }, { target: { namespaceSelector: { matchExpressions: [{ key: 'linkerd.io/is-control-plane', operator: 'Exists' }] } } }), config), 'trust-bundle');
  t.equal(roleOf(b({ name: 'x' }, { target: { configMap: { key: 'ca-bundle.crt' } } }), config), 'trust-bundle');
  t.equal(roleOf(b({ name: 'x', labels: { [ROLE_LABEL]: 'trust-bundle' } }), config), 'trust-bundle');
  t.equal(roleOf({ apiVersion: 'trust-manager.io/v1alpha2', kind: 'ClusterBundle', metadata: { name: 'x' }, spec: { target: { configMap: { data: [{ key: 'ca-bundle.crt' }] } } } }, config), 'trust-bundle');
});

t.test('objects nobody would call Linkerd\'s have no role', async (t) => {
  t.equal(roleOf(cert({ name: 'web', namespace: 'default' }, { secretName: 'web-tls', commonName: 'web.example.com' }), config), null);
  t.equal(roleOf({ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata: { name: 'corp-roots' }, spec: { target: { configMap: { key: 'roots.pem' } } } }, config), null);
  t.equal(roleOf({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'linkerd-identity-issuer' } }, config), null, 'a Secret is not a Certificate');
  t.equal(roleOf({ apiVersion: 'example.com/v1', kind: 'Certificate', metadata: { name: 'linkerd-identity-issuer' } }, config), null, 'another group\'s Certificate');
  t.equal(roleOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }, config), null);
  t.equal(roleOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } }, config), 'control-plane-namespace');
  t.equal(roleOf([] as never, config), null);
});
