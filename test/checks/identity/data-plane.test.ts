import t from 'tap';
import { makeKeyPair, makeLinkerdChain, selfSigned } from '../../helpers/pki.js';
import { runScenario } from './scenario.js';

const pod = (ns: string, name: string, anchors: string, init = false) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: ns, name, labels: { 'linkerd.io/control-plane-ns': 'linkerd' } },
  spec: { [init ? 'initContainers' : 'containers']: [{ name: 'linkerd-proxy', env: [{ name: 'LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS', value: anchors }] }] },
});

t.test('proxies compared with the bundle as certificates, not text', async (t) => {
  const { anchor, issuer } = await makeLinkerdChain();
  const next = await selfSigned(await makeKeyPair('P-256'), { cn: 'root.linkerd.cluster.local', isCA: true });
  const bundle = anchor.pem + next.pem;
  const objects = [
    pod('app', 'same-text', bundle),
    pod('app', 'reordered-and-spaced', `\n${next.pem}\n${anchor.pem}  \n`),
    pod('app', 'stale', anchor.pem),
    pod('app', 'stale-native-sidecar', anchor.pem, true),
    pod('linkerd', 'linkerd-destination-1', 'anything: control plane is skipped'),
  ];
  const o = await runScenario({ issuer, anchors: anchor.pem, bundle, objects, proxy: true });
  const r = o.byId.get('l5d-identity-data-plane-proxies-certs-match-ca')!;
  t.equal(r.result, 'warning');
  t.equal(r.error, 'Some pods do not have the current trust bundle and must be restarted:\n\t* app/stale\n\t* app/stale-native-sidecar');
  t.equal(r.hint, 'https://linkerd.io/2/checks/#l5d-identity-data-plane-proxies-certs-match-ca');
  const good = await runScenario({ issuer, anchors: anchor.pem, bundle, objects: objects.slice(0, 2), proxy: true });
  t.equal(good.byId.get('l5d-identity-data-plane-proxies-certs-match-ca')?.result, 'success');
  const without = await runScenario({ issuer, anchors: anchor.pem, bundle, objects });
  t.notOk(without.byId.has('l5d-identity-data-plane-proxies-certs-match-ca'), 'only with --proxy');
  const noBundle = await runScenario({ issuer, anchors: anchor.pem, objects, proxy: true });
  t.match(noBundle.byId.get('l5d-identity-data-plane-proxies-certs-match-ca')?.error, /cannot compare the proxies' trust anchors/);
});
