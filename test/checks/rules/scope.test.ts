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

t.test('scope follows relations: a Bundle sourcing Linkerd\'s Secrets, the CA behind the identity issuer', async (t) => {
  const b = (name: string, secret: string) => ({ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata: { name }, spec: { sources: [{ secret: { name: secret, key: 'ca.crt' } }], target: { configMap: { key: 'ca.crt' } } } });
  t.equal(roleOf(b('mesh-roots', 'linkerd-identity-issuer'), config), 'trust-bundle', 'sources the issuer Secret: the trust bundle, though misnamed');
  t.equal(roleOf(b('mesh-roots', 'linkerd-previous-anchor'), config), 'trust-bundle', 'sources the previous anchor Secret');
  t.equal(roleOf(b('corp-roots', 'corp-ca'), config), null, 'sources another Secret: not Linkerd\'s');

  const issuer = cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd' }, { secretName: 'linkerd-identity-issuer', issuerRef: { kind: 'ClusterIssuer', name: 'mesh-ca' } });
  const clusterIssuer = { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'mesh-ca' }, spec: { ca: { secretName: 'mesh-root' } } };
  const root = cert({ name: 'mesh-root', namespace: 'cert-manager' }, { secretName: 'mesh-root', isCA: true, commonName: 'mesh root' });
  const related = [issuer, clusterIssuer, root];
  t.equal(roleOf(root, config), null, 'alone, an oddly named CA is not Linkerd\'s');
  t.equal(roleOf(root, config, related), 'trust-anchor', 'it writes the CA Secret of the issuer signing the identity issuer');
  t.equal(roleOf(structuredClone(root), config, related), 'trust-anchor', 'a copy (the webhook\'s request object) is recognised too');
  t.equal(roleOf(cert({ name: 'mesh-root', namespace: 'linkerd' }, { secretName: 'mesh-root' }), config, related), null, 'a ClusterIssuer reads its CA Secret only from the cluster resource namespace');
  t.equal(roleOf(b('mesh-roots', 'mesh-root'), config, related), 'trust-bundle', 'a Bundle sourcing the related anchor\'s Secret');
  const externalIssuer = cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd' }, { issuerRef: { group: 'awspca.cert-manager.io', kind: 'ClusterIssuer', name: 'mesh-ca' } });
  t.equal(roleOf(root, config, [externalIssuer, clusterIssuer, root]), null, 'an external issuer of the same name is not that ClusterIssuer');
  const nsIssuer = { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'mesh-ca', namespace: 'linkerd' }, spec: { ca: { secretName: 'mesh-root' } } };
  const viaIssuer = cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd' }, { issuerRef: { kind: 'Issuer', name: 'mesh-ca' } });
  t.equal(roleOf(cert({ name: 'root', namespace: 'linkerd' }, { secretName: 'mesh-root' }), config, [viaIssuer, nsIssuer]), 'trust-anchor', 'an Issuer reads its CA Secret from its own namespace');
});

t.test('an Issuer or ClusterIssuer is Linkerd\'s when one of its Certificates names it', async (t) => {
  const ci = (name: string) => ({ apiVersion: 'cert-manager.io/v1alpha2', kind: 'ClusterIssuer', metadata: { name }, spec: { ca: { secretName: 'linkerd-trust-anchor' } } });
  const iss = (name: string, namespace?: string) => ({ apiVersion: 'cert-manager.io/v1alpha2', kind: 'Issuer', metadata: { name, ...(namespace ? { namespace } : {}) }, spec: { selfSigned: {} } });
  const identity = cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd' }, { issuerRef: { kind: 'ClusterIssuer', name: 'mesh-ca' } });
  const root = cert({ name: 'linkerd-trust-anchor', namespace: 'cert-manager' }, { secretName: 'linkerd-trust-anchor', issuerRef: { kind: 'Issuer', name: 'root' } });
  const web = cert({ name: 'web', namespace: 'default' }, { secretName: 'web-tls', issuerRef: { kind: 'ClusterIssuer', name: 'letsencrypt' } });
  const related = [identity, root, web];
  t.equal(roleOf(ci('mesh-ca'), config, related), 'signing-issuer', 'the ClusterIssuer signing the identity issuer');
  t.equal(roleOf(iss('root', 'cert-manager'), config, related), 'signing-issuer', 'the Issuer signing the anchor, in its namespace');
  t.equal(roleOf(iss('root'), config, related), 'signing-issuer', 'an Issuer without a namespace (left to kubectl -n)');
  t.equal(roleOf(iss('root', 'linkerd'), config, related), null, 'an Issuer of that name in another namespace serves no Linkerd Certificate');
  t.equal(roleOf(iss('mesh-ca', 'linkerd'), config, related), null, 'an Issuer named like the ClusterIssuer the issuerRef names');
  t.equal(roleOf(ci('letsencrypt'), config, related), null, 'the issuer of an application Certificate');
  t.equal(roleOf(ci('mesh-ca'), config), null, 'alone, nothing says it is Linkerd\'s');
  const external = cert({ name: 'linkerd-identity-issuer', namespace: 'linkerd' }, { issuerRef: { group: 'awspca.cert-manager.io', kind: 'ClusterIssuer', name: 'mesh-ca' } });
  t.equal(roleOf(ci('mesh-ca'), config, [external]), null, 'an external issuer of the same name is not that ClusterIssuer');
  const unplaced = cert({ name: 'linkerd-trust-anchor' }, { secretName: 'linkerd-trust-anchor', issuerRef: { kind: 'Issuer', name: 'root' } });
  t.equal(roleOf(iss('root'), config, [unplaced]), 'signing-issuer', 'neither placed: the same namespace, whatever kubectl -n says');
  t.equal(roleOf(iss('root', 'cert-manager'), config, [unplaced]), null, 'an Issuer in a namespace does not serve a Certificate that has none');
});
