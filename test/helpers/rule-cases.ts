/**
 * The rule tests' cases, one table for every test that judges them: the catalogue's own tests
 * (test/checks/rules/catalogue.test.ts), the CEL policies offline (test/checks/policy/) and on the
 * real API server (test/e2e/policy.test.ts). Objects are built from seed 001 per call, so a case
 * may be mutated freely; keys and certificates are generated at test time.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { Test } from 'tap';
import { resolveConfig, type Config } from '../../checks/config.js';
import { RULES_BY_ID } from '../../checks/rules/catalogue.js';
import { roleOf } from '../../checks/rules/scope.js';
import type { K8sObject, RuleDefinition } from '../../checks/rules/types.js';
import { validateBundle, validateCertificate } from './crd.js';
import { keyPem, makeKeyPair, selfSigned } from './pki.js';

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test fixtures are mutated freely

export const seed001 = parseAllDocuments(readFileSync('test/fixtures/seeds/001-cert-manager-trust-manager.yaml', 'utf8')).map((d) => d.toJS() as Obj);
export const find = (kind: string, name: string): Obj => structuredClone(seed001.find((o) => o.kind === kind && o.metadata.name === name)) as Obj;
export const issuer = (): Obj => find('Certificate', 'linkerd-identity-issuer');
export const anchor = (): Obj => find('Certificate', 'linkerd-trust-anchor');
export const bundle = (): Obj => find('Bundle', 'linkerd-identity-trust-roots');
export const namespace = (): Obj => find('Namespace', 'linkerd');
export const clusterIssuer = (): Obj => find('ClusterIssuer', 'linkerd-identity-issuer');
// made at test time: a CA certificate and a private key to paste into inLine sources
export const inLineKeyPair = await makeKeyPair('P-256');
export const inLineCa = (await selfSigned(inLineKeyPair, { cn: 'extra root', isCA: true })).pem;
export const inLineKey = keyPem(inLineKeyPair, 'sec1');

export interface RuleCase {
  rule: string;
  name: string;
  object: () => Obj;
  related?: () => Obj[];
  config?: Partial<Config>;
  /** expected finding path, or undefined for a compliant case */
  path?: string;
  severity?: 'error' | 'warning';
  fixable?: boolean;
}

export const RULE_CASES: readonly RuleCase[] = [
  // certificate/is-ca
  { rule: 'certificate/is-ca', name: 'issuer without isCA', object: () => { const o = issuer(); delete o.spec.isCA; return o; }, path: 'spec.isCA', fixable: true },
  { rule: 'certificate/is-ca', name: 'anchor with isCA false', object: () => { const o = anchor(); o.spec.isCA = false; return o; }, path: 'spec.isCA', fixable: true },
  { rule: 'certificate/is-ca', name: 'issuer with isCA', object: issuer },
  // certificate/key-algorithm
  { rule: 'certificate/key-algorithm', name: 'issuer with the RSA default', object: () => { const o = issuer(); delete o.spec.privateKey.algorithm; return o; }, path: 'spec.privateKey.algorithm', fixable: true },
  { rule: 'certificate/key-algorithm', name: 'issuer with RSA 4096', object: () => { const o = issuer(); o.spec.privateKey.algorithm = 'RSA'; o.spec.privateKey.size = 4096; return o; }, path: 'spec.privateKey.algorithm', fixable: true },
  { rule: 'certificate/key-algorithm', name: 'issuer without any privateKey', object: () => { const o = issuer(); delete o.spec.privateKey; return o; }, path: 'spec.privateKey.algorithm', fixable: true },
  { rule: 'certificate/key-algorithm', name: 'anchor with the RSA default (RSA 2048: Linkerd accepts it, so a warning)', object: () => { const o = anchor(); delete o.spec.privateKey.algorithm; return o; }, path: 'spec.privateKey.algorithm', severity: 'warning', fixable: true },
  { rule: 'certificate/key-algorithm', name: 'anchor RSA 3072', object: () => { const o = anchor(); o.spec.privateKey.algorithm = 'RSA'; o.spec.privateKey.size = 3072; return o; }, path: 'spec.privateKey.size', fixable: false },
  { rule: 'certificate/key-algorithm', name: 'anchor Ed25519', object: () => { const o = anchor(); o.spec.privateKey.algorithm = 'Ed25519'; return o; }, path: 'spec.privateKey.algorithm', fixable: false },
  { rule: 'certificate/key-algorithm', name: 'anchor RSA 4096 (accepted since 2.12)', object: () => { const o = anchor(); o.spec.privateKey.algorithm = 'RSA'; o.spec.privateKey.size = 4096; return o; } },
  { rule: 'certificate/key-algorithm', name: 'anchor RSA with default size 2048', object: () => { const o = anchor(); o.spec.privateKey.algorithm = 'RSA'; return o; } },
  // certificate/key-size
  { rule: 'certificate/key-size', name: 'issuer P-384', object: () => { const o = issuer(); o.spec.privateKey.size = 384; return o; }, path: 'spec.privateKey.size', fixable: true },
  { rule: 'certificate/key-size', name: 'anchor P-521', object: () => { const o = anchor(); o.spec.privateKey.size = 521; return o; }, path: 'spec.privateKey.size', fixable: true },
  { rule: 'certificate/key-size', name: 'issuer size 256', object: () => { const o = issuer(); o.spec.privateKey.size = 256; return o; } },
  // certificate/rotation-policy
  { rule: 'certificate/rotation-policy', name: 'issuer Never', object: () => { const o = issuer(); o.spec.privateKey.rotationPolicy = 'Never'; return o; }, path: 'spec.privateKey.rotationPolicy', fixable: true },
  { rule: 'certificate/rotation-policy', name: 'anchor unset', object: () => { const o = anchor(); delete o.spec.privateKey.rotationPolicy; return o; }, path: 'spec.privateKey.rotationPolicy', fixable: true },
  { rule: 'certificate/rotation-policy', name: 'unset, relying on cert-manager >= 1.18 by configuration', config: { requireExplicitRotationPolicy: false }, object: () => { const o = issuer(); delete o.spec.privateKey.rotationPolicy; return o; } },
  // certificate/namespace
  { rule: 'certificate/namespace', name: 'issuer in the trust namespace', object: () => { const o = issuer(); o.metadata.namespace = 'cert-manager'; return o; }, path: 'metadata.namespace', fixable: false },
  { rule: 'certificate/namespace', name: 'anchor outside the trust namespace', object: () => { const o = anchor(); o.metadata.namespace = 'linkerd'; return o; }, path: 'metadata.namespace', severity: 'warning', fixable: false },
  { rule: 'certificate/namespace', name: 'issuer in a configured namespace', config: { linkerdNamespace: 'mesh' }, object: () => { const o = issuer(); o.metadata.namespace = 'mesh'; o.spec.commonName = 'identity.mesh.cluster.local'; return o; } },
  // certificate/secret-name
  { rule: 'certificate/secret-name', name: 'issuer written elsewhere', object: () => { const o = issuer(); o.spec.secretName = 'linkerd-identity-issuer-new'; return o; }, path: 'spec.secretName', fixable: true },
  // certificate/usages
  { rule: 'certificate/usages', name: 'usages without cert sign', object: () => { const o = issuer(); o.spec.usages = ['digital signature', 'server auth']; return o; }, path: 'spec.usages', fixable: true },
  { rule: 'certificate/usages', name: 'client-auth-only EKU', object: () => { const o = issuer(); o.spec.usages = ['cert sign', 'client auth']; return o; }, path: 'spec.usages', fixable: true },
  { rule: 'certificate/usages', name: "the older guides' usages", object: () => { const o = issuer(); o.spec.usages = ['cert sign', 'crl sign', 'server auth', 'client auth']; return o; } },
  // certificate/durations
  { rule: 'certificate/durations', name: 'renewBefore not below duration', object: () => { const o = issuer(); o.spec.renewBefore = '48h'; return o; }, path: 'spec.renewBefore', fixable: false },
  { rule: 'certificate/durations', name: 'issuer outliving its anchor', object: () => { const o = issuer(); o.spec.duration = '9000h'; o.spec.renewBefore = '25h'; return o; }, related: () => [anchor(), clusterIssuer()], path: 'spec.duration', fixable: false },
  { rule: 'certificate/durations', name: 'unparseable duration', object: () => { const o = issuer(); o.spec.duration = 'two days'; return o; }, path: 'spec.duration', fixable: false },
  { rule: 'certificate/durations', name: 'issuer shorter than its anchor', object: issuer, related: () => [anchor(), clusterIssuer()] },
  // certificate/signature-algorithm
  { rule: 'certificate/signature-algorithm', name: 'ECDSAWithSHA384', object: () => { const o = issuer(); o.spec.signatureAlgorithm = 'ECDSAWithSHA384'; return o; }, path: 'spec.signatureAlgorithm', fixable: false },
  { rule: 'certificate/signature-algorithm', name: 'SHA256WithRSA without an RSA anchor', object: () => { const o = issuer(); o.spec.signatureAlgorithm = 'SHA256WithRSA'; return o; }, path: 'spec.signatureAlgorithm', fixable: false },
  { rule: 'certificate/signature-algorithm', name: 'SHA256WithRSA under an RSA anchor', object: () => { const o = issuer(); o.spec.signatureAlgorithm = 'SHA256WithRSA'; return o; }, related: () => { const a = anchor(); a.spec.privateKey.algorithm = 'RSA'; a.spec.privateKey.size = 4096; return [a, clusterIssuer()]; } },
  // certificate/name-constraints
  { rule: 'certificate/name-constraints', name: 'issuer with name constraints', object: () => { const o = issuer(); o.spec.nameConstraints = { permitted: { dnsDomains: ['example.com'] } }; return o; }, path: 'spec.nameConstraints', severity: 'warning', fixable: false },
  // certificate/common-name
  { rule: 'certificate/common-name', name: 'issuer with another CN', object: () => { const o = issuer(); o.spec.commonName = 'linkerd issuer'; return o; }, path: 'spec.commonName', severity: 'warning', fixable: false },
  { rule: 'certificate/common-name', name: 'issuer named by dnsNames only', object: () => { const o = issuer(); delete o.spec.commonName; o.spec.dnsNames = ['identity.linkerd.cluster.local']; return o; } },
  // certificate/issuer-ref-kind
  { rule: 'certificate/issuer-ref-kind', name: 'issuerRef kind Certificate', object: () => { const o = issuer(); o.spec.issuerRef.kind = 'Certificate'; return o; }, path: 'spec.issuerRef.kind', fixable: false },
  { rule: 'certificate/issuer-ref-kind', name: 'anchor issuerRef kind in lower case', object: () => { const o = anchor(); o.spec.issuerRef.kind = 'issuer'; return o; }, path: 'spec.issuerRef.kind', fixable: false },
  { rule: 'certificate/issuer-ref-kind', name: 'issuerRef kind Certificate with group cert-manager.io', object: () => { const o = issuer(); o.spec.issuerRef = { ...o.spec.issuerRef, kind: 'Certificate', group: 'cert-manager.io' }; return o; }, path: 'spec.issuerRef.kind', fixable: false },
  { rule: 'certificate/issuer-ref-kind', name: 'an external issuer\'s own kind', object: () => { const o = issuer(); o.spec.issuerRef = { name: 'vault', kind: 'VaultIssuer', group: 'vault.example.com' }; return o; } },
  { rule: 'certificate/issuer-ref-kind', name: 'kind unset (cert-manager defaults to Issuer)', object: () => { const o = anchor(); delete o.spec.issuerRef.kind; return o; } },
  // certificate/legacy-api
  { rule: 'certificate/legacy-api', name: 'cert-manager.io/v1alpha2 with keyAlgorithm', object: () => { const o = issuer(); o.apiVersion = 'cert-manager.io/v1alpha2'; delete o.spec.privateKey; o.spec.keyAlgorithm = 'ecdsa'; o.spec.keySize = 256; return o; }, path: 'apiVersion', fixable: true },
  { rule: 'certificate/legacy-api', name: 'v1 with a stray keyAlgorithm', object: () => { const o = anchor(); o.spec.keyAlgorithm = 'rsa'; return o; }, path: 'spec.keyAlgorithm', fixable: true },
  { rule: 'certificate/legacy-api', name: 'cert-manager.io/v1beta1 with emailSANs and uriSANs', object: () => { const o = issuer(); o.apiVersion = 'cert-manager.io/v1beta1'; o.spec.emailSANs = ['pki@example.com']; o.spec.uriSANs = ['spiffe://cluster.local/linkerd']; return o; }, path: 'apiVersion', fixable: true },
  { rule: 'certificate/legacy-api', name: 'cert-manager.io/v1alpha2 with a top-level organization', object: () => { const o = anchor(); o.apiVersion = 'cert-manager.io/v1alpha2'; o.spec.organization = ['Example Org']; return o; }, path: 'apiVersion', fixable: true },
  { rule: 'certificate/legacy-api', name: 'the ClusterIssuer signing the identity issuer at v1alpha2', object: () => { const o = clusterIssuer(); o.apiVersion = 'cert-manager.io/v1alpha2'; return o; }, related: () => [issuer()], path: 'apiVersion', fixable: true },
  { rule: 'certificate/legacy-api', name: 'the selfSigned Issuer of the anchor at v1beta1', object: () => { const o = find('Issuer', 'linkerd-trust-root-issuer'); o.apiVersion = 'cert-manager.io/v1beta1'; return o; }, related: () => [anchor()], path: 'apiVersion', fixable: true },
  { rule: 'certificate/legacy-api', name: 'a v1alpha3 ACME ClusterIssuer with lower-case DNS-01 providers', object: () => ({ apiVersion: 'cert-manager.io/v1alpha3', kind: 'ClusterIssuer', metadata: { name: 'linkerd-identity-issuer' }, spec: { acme: { server: 'https://acme.example.com/directory', privateKeySecretRef: { name: 'acme-key' }, solvers: [{ dns01: { clouddns: { project: 'p' } } }, { http01: { ingress: {} } }, { dns01: { azuredns: { subscriptionID: 's', resourceGroupName: 'r', hostedZoneName: 'z' }, acmedns: { host: 'https://auth.example.com', accountSecretRef: { name: 'a', key: 'k' } } } }] } } }), related: () => [issuer()], path: 'apiVersion', fixable: true },
  { rule: 'certificate/legacy-api', name: 'a v1 ClusterIssuer with a stray azuredns', object: () => ({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'linkerd-identity-issuer' }, spec: { acme: { server: 'https://acme.example.com/directory', privateKeySecretRef: { name: 'acme-key' }, solvers: [{ dns01: { azuredns: { subscriptionID: 's', resourceGroupName: 'r', hostedZoneName: 'z' } } }] } } }), related: () => [issuer()], path: 'spec.acme.solvers[0].dns01.azuredns', fixable: true },
  { rule: 'certificate/legacy-api', name: 'the seed 001 ClusterIssuer at v1', object: clusterIssuer, related: () => [issuer()] },
  { rule: 'certificate/legacy-api', name: 'the seed 001 Issuer at v1', object: () => find('Issuer', 'linkerd-trust-root-issuer'), related: () => [anchor()] },
  // bundle/name
  { rule: 'bundle/name', name: 'bundle writing another ConfigMap', object: () => { const o = bundle(); o.metadata.name = 'linkerd-roots'; return o; }, path: 'metadata.name', fixable: false },
  // bundle/target-configmap
  { rule: 'bundle/target-configmap', name: 'Secret target only', object: () => { const o = bundle(); o.spec.target = { secret: { key: 'ca-bundle.crt' }, namespaceSelector: o.spec.target.namespaceSelector }; return o; }, path: 'spec.target.configMap', fixable: true },
  // bundle/target-key
  { rule: 'bundle/target-key', name: 'wrong key', object: () => { const o = bundle(); o.spec.target.configMap.key = 'ca.crt'; return o; }, path: 'spec.target.configMap.key', fixable: true },
  // bundle/namespace-selector
  { rule: 'bundle/namespace-selector', name: 'no selector, namespace unknown: warn only', object: () => { const o = bundle(); delete o.spec.target.namespaceSelector; return o; }, path: 'spec.target.namespaceSelector', severity: 'warning', fixable: false },
  { rule: 'bundle/namespace-selector', name: 'no selector, namespace known to be labelled: repaired', object: () => { const o = bundle(); delete o.spec.target.namespaceSelector; return o; }, related: () => [namespace()], path: 'spec.target.namespaceSelector', severity: 'warning', fixable: true },
  { rule: 'bundle/namespace-selector', name: 'selector on a label the namespace manifest lacks: never reaches Linkerd', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchLabels: { team: 'mesh' } }; return o; }, related: () => [namespace()], path: 'spec.target.namespaceSelector', severity: 'error', fixable: true },
  { rule: 'bundle/namespace-selector', name: 'selector on another label, namespace unknown: warn', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchLabels: { team: 'mesh' } }; return o; }, path: 'spec.target.namespaceSelector', severity: 'warning', fixable: false },
  { rule: 'bundle/namespace-selector', name: 'empty selector {}: every namespace', object: () => { const o = bundle(); o.spec.target.namespaceSelector = {}; return o; }, path: 'spec.target.namespaceSelector', severity: 'warning', fixable: false },
  { rule: 'bundle/namespace-selector', name: 'selector on the injection label (application namespaces)', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchLabels: { 'linkerd.io/inject': 'enabled' } }; return o; }, path: 'spec.target.namespaceSelector', severity: 'error', fixable: false },
  { rule: 'bundle/namespace-selector', name: 'selector on the injection label, namespace labelled: repaired', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchLabels: { 'linkerd.io/inject': 'enabled' } }; return o; }, related: () => [namespace()], path: 'spec.target.namespaceSelector', severity: 'error', fixable: true },
  { rule: 'bundle/namespace-selector', name: 'selector on another namespace\'s name', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['linkerd-viz'] }] }; return o; }, path: 'spec.target.namespaceSelector', severity: 'error', fixable: false },
  { rule: 'bundle/namespace-selector', name: 'selector on kubernetes.io/metadata.name: linkerd', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': 'linkerd' } }; return o; } },
  { rule: 'bundle/namespace-selector', name: 'selector on the control-plane label by expression', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchExpressions: [{ key: 'linkerd.io/is-control-plane', operator: 'In', values: ['true'] }] }; return o; } },
  { rule: 'bundle/namespace-selector', name: 'selector on a label the namespace manifest carries', object: () => { const o = bundle(); o.spec.target.namespaceSelector = { matchLabels: { team: 'mesh' } }; return o; }, related: () => { const n = namespace(); n.metadata.labels.team = 'mesh'; return [n]; } },
  // bundle/no-private-keys
  { rule: 'bundle/no-private-keys', name: 'source reads tls.key', object: () => { const o = bundle(); o.spec.sources[0].secret.key = 'tls.key'; return o; }, path: 'spec.sources[0].secret.key', fixable: false },
  { rule: 'bundle/no-private-keys', name: 'includeAllKeys on the anchor Secret', object: () => { const o = bundle(); o.spec.sources[1].secret = { name: 'linkerd-previous-anchor', includeAllKeys: true }; return o; }, path: 'spec.sources[1].secret.includeAllKeys', fixable: false },
  { rule: 'bundle/no-private-keys', name: 'includeAllKeys on a known non-TLS Secret', object: () => { const o = bundle(); o.spec.sources[1].secret = { name: 'extra-roots', includeAllKeys: true }; return o; }, related: () => [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'extra-roots', namespace: 'cert-manager' }, type: 'Opaque', data: { 'roots.pem': '' } }] },
  { rule: 'bundle/no-private-keys', name: 'inLine source holding a private key', object: () => { const o = bundle(); o.spec.sources.push({ inLine: `${inLineCa}${inLineKey}` }); return o; }, path: 'spec.sources[2].inLine', fixable: false },
  { rule: 'bundle/no-private-keys', name: 'inLine source holding only a certificate', object: () => { const o = bundle(); o.spec.sources.push({ inLine: inLineCa }); return o; } },
  { rule: 'bundle/no-private-keys', name: 'ClusterBundle inLineCAs holding a private key', object: () => ({ apiVersion: 'trust-manager.io/v1alpha2', kind: 'ClusterBundle', metadata: { name: 'linkerd-identity-trust-roots' }, spec: { sourceRefs: [{ kind: 'Secret', name: 'linkerd-trust-anchor', key: 'tls.crt' }], inLineCAs: `${inLineCa}${inLineKey}`, target: { configMap: { data: [{ key: 'ca-bundle.crt' }] } } } }), path: 'spec.inLineCAs', fixable: false },
  // bundle/no-default-cas
  { rule: 'bundle/no-default-cas', name: 'useDefaultCAs source', object: () => { const o = bundle(); o.spec.sources.push({ useDefaultCAs: true }); return o; }, path: 'spec.sources[2].useDefaultCAs', fixable: true },
  { rule: 'bundle/no-default-cas', name: 'useDefaultCAs as the only source', object: () => { const o = bundle(); o.spec.sources = [{ useDefaultCAs: true }]; return o; }, path: 'spec.sources[0].useDefaultCAs', fixable: false },
  // bundle/rotation-overlap
  { rule: 'bundle/rotation-overlap', name: 'one anchor source', object: () => { const o = bundle(); o.spec.sources.pop(); return o; }, path: 'spec.sources', severity: 'warning', fixable: false },
  // bundle/cluster-scoped
  { rule: 'bundle/cluster-scoped', name: 'bundle with a namespace', object: () => { const o = bundle(); o.metadata.namespace = 'linkerd'; return o; }, path: 'metadata.namespace', severity: 'warning', fixable: true },
  // setup/issuer-ref
  { rule: 'setup/issuer-ref', name: 'kind Issuer naming a ClusterIssuer', object: () => { const o = issuer(); o.spec.issuerRef.kind = 'Issuer'; return o; }, related: () => [clusterIssuer()], path: 'spec.issuerRef.kind', fixable: false },
  { rule: 'setup/issuer-ref', name: 'Issuer in another namespace', object: () => { const o = issuer(); o.spec.issuerRef = { name: 'linkerd-trust-root-issuer', kind: 'Issuer' }; return o; }, related: () => [find('Issuer', 'linkerd-trust-root-issuer')], path: 'spec.issuerRef.name', fixable: false },
  { rule: 'setup/issuer-ref', name: "ClusterIssuer's CA Secret written outside the cluster resource namespace", object: issuer, related: () => { const a = anchor(); a.metadata.namespace = 'linkerd'; return [a, clusterIssuer()]; }, path: 'spec.issuerRef.name', fixable: false },
  { rule: 'setup/issuer-ref', name: 'the seed 001 ClusterIssuer', object: issuer, related: () => [anchor(), clusterIssuer()] },
  // setup/issuer-self-signed
  { rule: 'setup/issuer-self-signed', name: 'issuer signed by a selfSigned ClusterIssuer', object: issuer, related: () => { const ci = clusterIssuer(); ci.spec = { selfSigned: {} }; return [anchor(), ci]; }, path: 'spec.issuerRef.name', fixable: false },
  { rule: 'setup/issuer-self-signed', name: 'issuer signed by a selfSigned Issuer in its namespace', object: () => { const o = issuer(); o.spec.issuerRef = { name: 'selfsigned', kind: 'Issuer' }; return o; }, related: () => [{ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'selfsigned', namespace: 'linkerd' }, spec: { selfSigned: {} } }], path: 'spec.issuerRef.name', fixable: false },
  { rule: 'setup/issuer-self-signed', name: 'issuer signed by the CA ClusterIssuer of the anchor', object: issuer, related: () => [anchor(), clusterIssuer()] },
  { rule: 'setup/issuer-self-signed', name: 'selfSigned issuer of another group (an external issuer)', object: () => { const o = issuer(); o.spec.issuerRef.group = 'awspca.cert-manager.io'; return o; }, related: () => { const ci = clusterIssuer(); ci.spec = { selfSigned: {} }; return [ci]; } },
  { rule: 'setup/issuer-self-signed', name: 'the selfSigned Issuer of the anchor is not the identity issuer\'s', object: issuer, related: () => [anchor(), clusterIssuer(), find('Issuer', 'linkerd-trust-root-issuer')] },
  // setup/anchor-bootstrap
  { rule: 'setup/anchor-bootstrap', name: 'anchor issued by the CA ClusterIssuer that reads its own Secret', object: () => { const o = anchor(); o.spec.issuerRef = { kind: 'ClusterIssuer', name: 'linkerd-identity-issuer' }; return o; }, related: () => [clusterIssuer()], path: 'spec.issuerRef.name', fixable: false },
  { rule: 'setup/anchor-bootstrap', name: 'anchor issued by a CA Issuer in its namespace reading its own Secret', object: () => { const o = anchor(); o.spec.issuerRef = { kind: 'Issuer', name: 'root-ca' }; return o; }, related: () => [{ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'root-ca', namespace: 'cert-manager' }, spec: { ca: { secretName: 'linkerd-trust-anchor' } } }], path: 'spec.issuerRef.name', fixable: false },
  { rule: 'setup/anchor-bootstrap', name: 'anchor issued by the selfSigned Issuer (seed 001)', object: anchor, related: () => [find('Issuer', 'linkerd-trust-root-issuer'), clusterIssuer()] },
  { rule: 'setup/anchor-bootstrap', name: 'the ClusterIssuer reads a same-named Secret of another namespace', object: () => { const o = anchor(); o.metadata.namespace = 'linkerd'; o.spec.issuerRef = { kind: 'ClusterIssuer', name: 'linkerd-identity-issuer' }; return o; }, related: () => [clusterIssuer()] },
  // setup/anchor-sourced
  { rule: 'setup/anchor-sourced', name: 'bundle not reading the anchor Secret', object: () => { const o = bundle(); o.spec.sources = [{ secret: { name: 'linkerd-identity-issuer', key: 'ca.crt' } }, { secret: { name: 'other-root', key: 'tls.crt' } }]; return o; }, related: () => [anchor()], path: 'spec.sources', fixable: false },
  { rule: 'setup/anchor-sourced', name: 'bundle reading the anchor Secret', object: bundle, related: () => [anchor()] },
  // setup/namespace-label
  { rule: 'setup/namespace-label', name: 'namespace without the label', object: () => { const o = namespace(); delete o.metadata.labels; return o; }, path: 'metadata.labels', fixable: true },
  { rule: 'setup/namespace-label', name: 'namespace with the label false', object: () => { const o = namespace(); o.metadata.labels['linkerd.io/is-control-plane'] = 'false'; return o; }, path: 'metadata.labels', fixable: true },
];


/**
 * The cases the API server can put in front of an admission policy or webhook: objects of the served
 * versions (cert-manager.io/v1, trust.cert-manager.io/v1alpha1) that its CRD schema admits, for
 * admission rules. Lint-only rules' cases (legacy versions, the Namespace manifest) are not.
 */
export function admissionCases(): RuleCase[] {
  return RULE_CASES.filter((c) => {
    if (RULES_BY_ID.get(c.rule)?.lintOnly) return false;
    const o = c.object();
    if (o.kind === 'Certificate') return o.apiVersion === 'cert-manager.io/v1' && validateCertificate()(o) === true;
    if (o.kind === 'Bundle') return o.apiVersion === 'trust.cert-manager.io/v1alpha1' && validateBundle()(o) === true;
    return false;
  });
}

/** Every configurable name changed, for the policies' and the chart's renamed runs. */
export const RENAMED_CONFIG: Partial<Config> = {
  linkerdNamespace: 'mesh-system',
  trustNamespace: 'pki',
  trustDomain: 'mesh.example',
  issuerName: 'mesh-issuer',
  anchorNames: ['mesh-root', 'mesh-root-old'],
  bundleName: 'mesh-roots',
  bundleKey: 'roots.pem',
  namespaceLabel: 'example.com/mesh-control-plane',
};

const RENAMES: ReadonlyMap<string, string> = new Map([
  ['linkerd', 'mesh-system'],
  ['cert-manager', 'pki'],
  ['linkerd-identity-issuer', 'mesh-issuer'],
  ['linkerd-trust-anchor', 'mesh-root'],
  ['linkerd-previous-anchor', 'mesh-root-old'],
  ['linkerd-identity-trust-roots', 'mesh-roots'],
  ['ca-bundle.crt', 'roots.pem'],
  ['linkerd.io/is-control-plane', 'example.com/mesh-control-plane'],
  ['identity.linkerd.cluster.local', 'identity.mesh-system.mesh.example'],
  ['root.linkerd.cluster.local', 'root.linkerd.mesh.example'],
]);

/** A case's object as it would be written for RENAMED_CONFIG (every default name, value or key, replaced). */
export function renamed<T>(v: T): T {
  if (Array.isArray(v)) return v.map(renamed) as T;
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [RENAMES.get(k) ?? k, renamed(x)])) as T;
  }
  return (typeof v === 'string' ? RENAMES.get(v) ?? v : v) as T;
}

/**
 * Each case of `rules` judged by its rule definition's own `check`, not through the engine: the role
 * from the scope, the case's related objects and configuration. For the tests of each rule module.
 */
export function checkCasesDirectly(t: Test, rules: readonly RuleDefinition[]): void {
  const cases = RULE_CASES.filter((c) => rules.some((r) => r.id === c.rule));
  t.ok(cases.length >= rules.length, 'every rule of the module has cases');
  for (const c of cases) {
    const rule = rules.find((r) => r.id === c.rule) as RuleDefinition;
    const config = resolveConfig(c.config);
    const object = c.object() as K8sObject;
    const related = (c.related?.() ?? []) as K8sObject[];
    const role = roleOf(object, config, related);
    t.ok(role !== null && rule.appliesTo.includes(role), `${c.rule}: ${c.name}: applies to the object's role`);
    if (role === null) continue;
    const violations = rule.check({ object, role, config, related, complete: false });
    if (c.path === undefined) {
      t.same(violations, [], `${c.rule}: ${c.name}: no violation`);
      continue;
    }
    t.same(violations.map((v) => v.path), [c.path], `${c.rule}: ${c.name}: one violation naming ${c.path}`);
    const v = violations[0];
    t.equal(v?.severity ?? rule.defaultSeverity, c.severity ?? 'error', `${c.rule}: ${c.name}: severity`);
    t.equal((v?.patch?.length ?? 0) > 0, c.fixable ?? false, `${c.rule}: ${c.name}: a repair only when one is expected`);
  }
}
