import t from 'tap';
import { makeLinkerdChain } from '../../helpers/pki.js';
import { rfc3339 } from '../../../checks/x509/certificate.js';
import { runScenario } from './scenario.js';

const HOUR = 3600_000;

function certificate(name: string, ns: string, o: { notAfter?: Date; renewalTime?: Date; ready?: boolean; reason?: string; issuerRef?: object }) {
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: { name, namespace: ns },
    spec: { secretName: name, isCA: true, issuerRef: o.issuerRef ?? { name: 'linkerd-trust-anchor', kind: 'Issuer' } },
    status: {
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', ...(o.reason ? { reason: o.reason, message: 'waiting' } : {}) }],
      ...(o.notAfter ? { notAfter: rfc3339(o.notAfter) } : {}),
      ...(o.renewalTime ? { renewalTime: rfc3339(o.renewalTime) } : {}),
    },
  };
}
const issuerObj = (ready = true) => ({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'linkerd-trust-anchor', namespace: 'linkerd' }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KeyPairVerified' : 'ErrGetKeyPair' }] } });
const bundle = (synced = true) => ({ apiVersion: 'trust.cert-manager.io/v1alpha1', kind: 'Bundle', metadata: { name: 'linkerd-identity-trust-roots' }, status: { conditions: [{ type: 'Synced', status: synced ? 'True' : 'False' }] } });
const namespace = (labelled: boolean) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd', labels: labelled ? { 'linkerd.io/is-control-plane': 'true' } : {} } });

t.test('a 48h issuer that cert-manager renews on time is not a permanent warning', async (t) => {
  const now = Date.now();
  const notAfter = new Date(Math.floor((now + 48 * HOUR) / 1000) * 1000);
  const { anchor, issuer } = await makeLinkerdChain({ issuer: { notAfter } });
  const plain = await runScenario({ issuer, anchors: anchor.pem });
  t.equal(plain.byId.get('l5d-identity-issuer-cert-not-expiring-soon')?.result, 'warning', "without cert-manager status: Linkerd's verdict");
  const managed = await runScenario({ issuer, anchors: anchor.pem, objects: [certificate('linkerd-identity-issuer', 'linkerd', { notAfter, renewalTime: new Date(now + 23 * HOUR) }), issuerObj(), bundle(), namespace(true)] });
  const r = managed.byId.get('l5d-identity-issuer-cert-not-expiring-soon')!;
  t.equal(r.result, 'success');
  t.match(r.description, /^issuer cert is valid for at least 60 days\nexpires .*; cert-manager renews it at .* \(Certificate linkerd\/linkerd-identity-issuer\)$/);
  const cat = managed.report.categories.find((c) => c.name === 'cert-manager')!;
  t.same(cat.results.map((x) => [x.id, x.result]), [
    ['lcg-cert-manager-certificates-ready', 'success'],
    ['lcg-cert-manager-issuers-ready', 'success'],
    ['lcg-cert-manager-bundle-synced', 'success'],
    ['lcg-cert-manager-namespace-label', 'success'],
    ['lcg-cert-manager-renewal-scheduled', 'success'],
  ]);
  const overdue = await runScenario({ issuer, anchors: anchor.pem, objects: [certificate('linkerd-identity-issuer', 'linkerd', { notAfter, renewalTime: new Date(now - 5 * HOUR) })] });
  t.equal(overdue.byId.get('l5d-identity-issuer-cert-not-expiring-soon')?.result, 'warning', 'overdue renewal: the warning stands');
  t.equal(overdue.byId.get('lcg-cert-manager-renewal-scheduled')?.result, 'error');
  t.match(overdue.byId.get('lcg-cert-manager-renewal-scheduled')?.error, /renewal is overdue since/);
});

t.test('not Ready, issuer not Ready, Bundle not Synced, namespace unlabelled, wrong namespace', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  const o = await runScenario({
    issuer,
    anchors: anchor.pem,
    objects: [certificate('linkerd-identity-issuer', 'default', { ready: false, reason: 'DoesNotExist' }), issuerObj(false), bundle(false), namespace(false)],
  });
  const by = (id: string) => o.byId.get(id)!;
  t.equal(by('lcg-cert-manager-certificates-ready').result, 'error');
  t.match(by('lcg-cert-manager-certificates-ready').error, /Certificate default\/linkerd-identity-issuer is not in the Linkerd namespace linkerd/);
  t.match(by('lcg-cert-manager-certificates-ready').error, /Certificate default\/linkerd-identity-issuer is not Ready \(DoesNotExist: waiting\)/);
  t.match(by('lcg-cert-manager-issuers-ready').error, /Issuer default\/linkerd-trust-anchor \(issuerRef of Certificate default\/linkerd-identity-issuer\) not found/);
  t.match(by('lcg-cert-manager-bundle-synced').error, /Bundle linkerd-identity-trust-roots is not Synced/);
  t.match(by('lcg-cert-manager-namespace-label').error, /Namespace linkerd does not carry linkerd\.io\/is-control-plane: "true"/);
  t.equal(by('lcg-cert-manager-renewal-scheduled').result, 'success', 'never issued: nothing to schedule');
  const notReady = await runScenario({ issuer, anchors: anchor.pem, objects: [certificate('linkerd-identity-issuer', 'linkerd', {}), issuerObj(false)] });
  t.match(notReady.byId.get('lcg-cert-manager-issuers-ready')?.error, /Issuer linkerd\/linkerd-trust-anchor is not Ready \(ErrGetKeyPair\)/);
});
