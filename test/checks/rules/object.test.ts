import t from 'tap';
import {
  apiGroup, apiVersionOnly, arr, at, bundleSources, bundleTargetKeys, dotted, formatDuration, isBundle, isCertificate, isClusterBundle, isClusterIssuer,
  isIssuer, isNamespace, isRecord, labelsOf, nameOf, namespaceOf, parseGoDuration, pointer, refersToCertManager, str, strings,
} from '../../../checks/rules/object.js';
import { bundle, issuer } from '../../helpers/rule-cases.js';

t.test('readers never throw on fields that are missing or of the wrong type', async (t) => {
  const o = { apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'x', labels: 'not a map' }, spec: { dnsNames: ['a', 1, 'b'] } };
  t.equal(at(o, 'spec', 'dnsNames', 0), 'a');
  t.equal(at(o, 'spec', 'dnsNames', 'length'), undefined, 'a string step into a list is missing');
  t.equal(at(o, 'metadata', 0), undefined, 'a number step into a map is missing');
  t.same(strings(at(o, 'spec', 'dnsNames')), ['a', 'b']);
  t.same(arr('x'), []);
  t.equal(str(1), undefined);
  t.notOk(isRecord([]));
  t.notOk(isRecord(null));
  t.same(labelsOf(o), {});
  t.equal(nameOf(o), 'x');
  t.equal(namespaceOf(o), undefined);
  t.equal(apiGroup(o), 'cert-manager.io');
  t.equal(apiVersionOnly(o), 'v1');
  t.equal(apiGroup({ apiVersion: 'v1' }), '');
  t.equal(apiVersionOnly({ apiVersion: 'v1' }), 'v1');
});

t.test('the one recogniser of each kind: cert-manager groups, current and legacy; trust-manager APIs; core Namespace', async (t) => {
  t.ok(isCertificate({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate' }));
  t.ok(isCertificate({ apiVersion: 'certmanager.k8s.io/v1alpha1', kind: 'Certificate' }));
  t.notOk(isCertificate({ apiVersion: 'networking.gke.io/v1', kind: 'Certificate' }), 'another group\'s Certificate is not cert-manager\'s');
  t.ok(isIssuer({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer' }));
  t.notOk(isIssuer({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer' }));
  t.ok(isClusterIssuer({ apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer' }));
  t.ok(isBundle({ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle' }));
  t.notOk(isBundle({ apiVersion: 'trust-manager.io/v1alpha2', kind: 'Bundle' }));
  t.ok(isClusterBundle({ apiVersion: 'trust-manager.io/v1alpha2', kind: 'ClusterBundle' }));
  t.ok(isNamespace({ apiVersion: 'v1', kind: 'Namespace' }));
  t.notOk(isNamespace({ apiVersion: 'example.com/v1', kind: 'Namespace' }));
  t.ok(refersToCertManager(issuer()), 'no group: cert-manager\'s own issuers');
  t.notOk(refersToCertManager({ spec: { issuerRef: { group: 'awspca.cert-manager.io', name: 'x' } } }));
});

t.test('Bundle and ClusterBundle sources and target keys in one shape', async (t) => {
  const b = bundle();
  b.spec.sources = [{ secret: { name: 's', key: 'tls.crt' } }, { configMap: { name: 'c', key: 'ca.crt', includeAllKeys: true } }, { inLine: 'PEM' }, { useDefaultCAs: true }, 'junk'];
  t.same(bundleSources(b).map((s) => [s.kind, s.name, s.key, s.includeAllKeys, dotted(s.path)]), [
    ['secret', 's', 'tls.crt', false, 'spec.sources[0].secret'],
    ['configMap', 'c', 'ca.crt', true, 'spec.sources[1].configMap'],
    ['inLine', undefined, undefined, false, 'spec.sources[2].inLine'],
    ['defaultCAs', undefined, undefined, false, 'spec.sources[3].useDefaultCAs'],
  ]);
  t.same(bundleTargetKeys(b), ['ca-bundle.crt']);
  const cb = {
    apiVersion: 'trust-manager.io/v1alpha2', kind: 'ClusterBundle', metadata: { name: 'r' },
    spec: { sourceRefs: [{ kind: 'Secret', name: 's', key: '*' }, { kind: 'ConfigMap', name: 'c', key: 'ca.crt' }], defaultCAs: { provider: 'System' }, target: { configMap: { data: [{ key: 'a.crt' }, { key: 'b.crt' }] } } },
  };
  t.same(bundleSources(cb).map((s) => [s.kind, s.name, s.includeAllKeys]), [['secret', 's', true], ['configMap', 'c', false], ['defaultCAs', undefined, false]]);
  t.same(bundleTargetKeys(cb), ['a.crt', 'b.crt']);
});

t.test('field paths: dotted for messages, RFC 6901 pointers for patches', async (t) => {
  t.equal(dotted(['spec', 'sources', 1, 'secret', 'key']), 'spec.sources[1].secret.key');
  t.equal(dotted([]), '');
  t.equal(pointer(['metadata', 'labels', 'linkerd.io/is-control-plane']), '/metadata/labels/linkerd.io~1is-control-plane');
  t.equal(pointer(['a~b']), '/a~0b');
});

t.test('Go durations as cert-manager accepts them', async (t) => {
  t.equal(parseGoDuration('48h0m0s'), 48 * 3_600_000);
  t.equal(parseGoDuration('1.5h'), 90 * 60_000);
  t.equal(parseGoDuration('90m'), 90 * 60_000);
  t.equal(parseGoDuration('0'), 0);
  for (const bad of ['', '48', '2d', 'h', 48]) t.equal(parseGoDuration(bad), undefined, String(bad));
  t.equal(formatDuration(2160 * 3_600_000), '2160h');
  t.equal(formatDuration(90 * 60_000), '90m');
});
