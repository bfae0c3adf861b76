import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { SETUP_RULES, anchorSourced, issuerRef, namespaceLabel } from '../../../checks/rules/setup.js';
import { anchor, bundle, checkCasesDirectly, issuer, namespace } from '../../helpers/rule-cases.js';

const config = resolveConfig();

t.test('each setup rule, called directly, on its violating and compliant cases', async (t) => {
  checkCasesDirectly(t, SETUP_RULES);
});

t.test('an issuerRef that resolves to nothing: judged only when the input is complete, and then a not-found warning', async (t) => {
  const o = issuer();
  o.spec.issuerRef = { kind: 'Issuer', name: 'missing' };
  t.same(issuerRef.check({ object: o, role: 'identity-issuer', config, related: [anchor()], complete: false }), [], 'the Issuer may be elsewhere: no judgement');
  const complete = issuerRef.check({ object: o, role: 'identity-issuer', config, related: [anchor()], complete: true });
  t.equal(complete.length, 1);
  t.equal(complete[0]?.notFound, true, 'a missing object warns, never denies');
  t.match(complete[0]?.message, /missing/);
});

t.test('a Bundle without the anchor Secret among its sources names spec.sources', async (t) => {
  const o = bundle();
  o.spec.sources = [{ secret: { name: 'other-root', key: 'tls.crt' } }];
  t.same(anchorSourced.check({ object: o, role: 'trust-bundle', config, related: [anchor()], complete: false }).map((v) => v.path), ['spec.sources']);
  t.same(anchorSourced.check({ object: bundle(), role: 'trust-bundle', config, related: [anchor()], complete: false }), []);
});

t.test('the namespace label repair adds the configured label', async (t) => {
  const o = namespace();
  delete o.metadata.labels;
  const [v] = namespaceLabel.check({ object: o, role: 'control-plane-namespace', config, related: [], complete: false });
  t.equal(v?.path, 'metadata.labels');
  t.match(JSON.stringify(v?.patch), /linkerd\.io~1is-control-plane|is-control-plane/);
  t.same(namespaceLabel.check({ object: namespace(), role: 'control-plane-namespace', config, related: [], complete: false }), []);
});
