import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { anchorsOf, certificatesWithRole, oncePerSet, relatedIndex, resolveIssuerRef } from '../../../checks/rules/related.js';
import type { K8sObject } from '../../../checks/rules/types.js';
import { anchor, bundle, clusterIssuer, issuer, namespace, seed001 } from '../../helpers/rule-cases.js';

const config = resolveConfig();

t.test('the index sorts the related objects by role, name and written Secret, once per list', async (t) => {
  const related = seed001 as K8sObject[];
  const index = relatedIndex({ related, config });
  t.equal(relatedIndex({ related, config }), index, 'built once for the same list and config');
  t.not(relatedIndex({ related, config: resolveConfig({ trustDomain: 'other.example' }) }), index, 'rebuilt for another config');
  t.same(certificatesWithRole({ related, config }, 'identity-issuer').map((o) => o.metadata), [issuer().metadata]);
  t.same(certificatesWithRole({ related, config }, 'trust-anchor').map((o) => (o.metadata as { name: string }).name), ['linkerd-trust-anchor']);
  t.same(index.certificatesBySecret.get('linkerd-trust-anchor')?.length, 1);
  t.ok(index.issuersByName.has('linkerd-identity-issuer'));
  t.equal(index.namespacesByName.get('linkerd')?.kind, 'Namespace');
  t.same(certificatesWithRole({ related: [bundle(), namespace()], config }, 'trust-anchor'), []);
});

t.test('an issuerRef resolves to the ClusterIssuer it names; an Issuer of that name elsewhere is only a same-name candidate', async (t) => {
  const related = [clusterIssuer(), anchor()] as K8sObject[];
  const ref = resolveIssuerRef({ related, config }, issuer());
  t.equal(ref.kind, 'ClusterIssuer');
  t.equal(ref.name, 'linkerd-identity-issuer');
  t.equal(ref.found?.kind, 'ClusterIssuer');
  const wrongKind = issuer();
  wrongKind.spec.issuerRef = { kind: 'Issuer', name: 'linkerd-identity-issuer' };
  const miss = resolveIssuerRef({ related, config }, wrongKind);
  t.equal(miss.found, undefined);
  t.same(miss.sameName.map((o) => o.kind), ['ClusterIssuer']);
});

t.test('the anchors of an issuer: the writer of its CA Secret, else every anchor known', async (t) => {
  const other = anchor();
  other.metadata.name = 'linkerd-previous-anchor';
  other.spec.secretName = 'linkerd-previous-anchor';
  const related = [clusterIssuer(), anchor(), other] as K8sObject[];
  t.same(anchorsOf({ related, config, object: issuer() }).map((o) => (o.metadata as { name: string }).name), ['linkerd-trust-anchor'], 'the ClusterIssuer reads linkerd-trust-anchor');
  const unresolved = issuer();
  unresolved.spec.issuerRef = { kind: 'ClusterIssuer', name: 'elsewhere' };
  t.same(anchorsOf({ related, config, object: unresolved }).length, 2);
  t.same(anchorsOf({ related: [], config, object: issuer() }), []);
});

t.test('the anchors of every issuer of an input are the same set, and what is derived from a set is computed once', async (t) => {
  const related = seed001 as K8sObject[];
  const index = relatedIndex({ related, config });
  t.same(index.anchorsBySecret.get('linkerd-trust-anchor')?.map((o) => o.kind), ['Certificate'], 'anchors by the Secret they write');
  t.equal(index.anchorsBySecret.has('linkerd-identity-issuer'), false, 'an identity issuer is no anchor');
  const first = anchorsOf({ related, config, object: issuer() });
  t.equal(anchorsOf({ related, config, object: issuer() }), first, 'the same array for each issuer');
  let calls = 0;
  const count = oncePerSet((set) => {
    calls++;
    return set.length;
  });
  t.equal(count(first), first.length);
  t.equal(count(first), first.length);
  t.equal(calls, 1, 'computed once for the same set');
  t.equal(count([...first]), first.length);
  t.equal(calls, 2, 'and again for another set');
});
