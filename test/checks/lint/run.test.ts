import t from 'tap';
import { parseSource, entriesOf } from '../../../checks/lint/input.js';
import { describeObject, exceeds, lintEntries, summarize } from '../../../checks/lint/run.js';
import { DEFAULT_CONFIG, resolveConfig } from '../../../checks/config.js';

const config = resolveConfig(DEFAULT_CONFIG);

const anchor = (ns = 'cert-manager') => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: linkerd-trust-anchor, namespace: ${ns}}
spec:
  isCA: true
  commonName: root.linkerd.cluster.local
  secretName: linkerd-trust-anchor
  duration: 87600h
  issuerRef: {name: linkerd-self-signed, kind: ClusterIssuer}
  privateKey: {algorithm: ECDSA, size: 256, rotationPolicy: Always}
`;
const bundle = `apiVersion: trust.cert-manager.io/v1alpha1
kind: Bundle
metadata: {name: linkerd-identity-trust-roots}
spec:
  sources:
  - secret: {name: linkerd-trust-anchor, key: tls.crt}
  target:
    configMap: {key: ca-bundle.crt}
    namespaceSelector: {matchLabels: {linkerd.io/is-control-plane: "true"}}
`;

function entries(files: Array<[string, string]>) {
  return files.flatMap(([path, text]) => entriesOf(parseSource(path, text)));
}

t.test('one directory is one setup: cross-object rules see the objects of the same directory only', async (t) => {
  const together = lintEntries(entries([['a/anchor.yaml', anchor()], ['a/bundle.yaml', bundle]]), config);
  const apart = lintEntries(entries([['a/anchor.yaml', anchor()], ['b/bundle.yaml', bundle]]), config);
  const rulesOf = (rs: typeof together) => rs.flatMap((r) => r.findings.map((f) => f.rule));
  t.notOk(rulesOf(together).includes('setup/anchor-sourced'), 'the Bundle beside the anchor sources it');
  t.same(together.map((r) => r.role), ['trust-anchor', 'trust-bundle']);
  t.same(apart.map((r) => r.role), ['trust-anchor', 'trust-bundle']);
  t.same(rulesOf(apart).filter((r) => r.startsWith('setup/')), [], 'objects of another directory neither satisfy nor break a setup rule');
});

t.test('a document that is not an object is an entry with no role and no findings', async (t) => {
  const [r] = lintEntries(entries([['x.yaml', '- just\n- a list\n']]), config);
  t.same({ kind: r!.kind, role: r!.role, findings: r!.findings, patch: r!.patch }, { kind: null, role: null, findings: [], patch: [] });
});

t.test('the merged repair patch of the fixable findings', async (t) => {
  const [r] = lintEntries(entries([['x.yaml', anchor().replace('  isCA: true\n', '')]]), config);
  t.same(r!.patch, [{ op: 'add', path: '/spec/isCA', value: true }]);
});

t.test('summarize and exceeds', async (t) => {
  const rs = lintEntries(entries([['x.yaml', anchor('default')]]), config);
  const s = summarize(rs, 0);
  t.equal(s.objects, 1);
  t.equal(s.errors, 0);
  t.equal(s.warnings, 1, 'an anchor outside the trust namespace is a warning');
  t.equal(exceeds(rs, 'error'), false);
  t.equal(exceeds(rs, 'warning'), true);
  t.equal(summarize(rs, 3).repaired, 3);
});

t.test('describeObject names kind, namespace and name, and says when they are missing', async (t) => {
  t.equal(describeObject({ kind: 'Certificate', namespace: 'linkerd', name: 'x' }), 'Certificate linkerd/x');
  t.equal(describeObject({ kind: 'ClusterBundle', namespace: null, name: 'y' }), 'ClusterBundle y');
  t.equal(describeObject({ kind: null, namespace: null, name: null }), '(no kind) (unnamed)');
});
