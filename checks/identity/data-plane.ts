/**
 * Category `linkerd-identity-data-plane` (with --proxy): Linkerd's "data plane proxies certificate match
 * CA", but comparing each proxy's LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS with the trust bundle AS SETS OF
 * CERTIFICATES, not as text (order, whitespace and duplicates are not mismatches).
 */
import { sameCert } from '../x509/verify.js';
import type { Certificate } from '../x509/certificate.js';
import { bundleState, type IdentityState } from './state.js';
import { LINKERD_HINT_BASE, type CheckDef } from './types.js';

export const CATEGORY_DATA_PLANE = 'linkerd-identity-data-plane';

function sameSet(a: Certificate[], b: Certificate[]): boolean {
  return a.every((x) => b.some((y) => sameCert(x, y))) && b.every((y) => a.some((x) => sameCert(x, y)));
}

export const DATA_PLANE_CHECKS: ReadonlyArray<CheckDef<IdentityState>> = [
  {
    id: 'l5d-identity-data-plane-proxies-certs-match-ca',
    description: 'data plane proxies certificate match CA',
    hint: LINKERD_HINT_BASE + 'l5d-identity-data-plane-proxies-certs-match-ca',
    warning: true,
    recommendation: 'Restart the listed workloads (kubectl rollout restart) so their proxies load the current trust bundle.',
    run: (st) => {
      const pods = st.snap.pods;
      if (!pods) return { skip: true };
      if (!st.bundle) return `cannot compare the proxies' trust anchors: ${st.bundleMissing ?? 'the trust bundle was not loaded'}`;
      const bundle = st.bundle.certs.map((c) => c.cert);
      const stale: string[] = [];
      // Most proxies hold the same text: compare each distinct one once (the answer depends on the text alone).
      const matches = new Map<string, boolean>();
      const matchesBundle = (text: string, where: string): boolean => {
        let m = matches.get(text);
        if (m === undefined) matches.set(text, (m = sameSet(bundleState(text.trim(), where).certs.map((c) => c.cert), bundle)));
        return m;
      };
      for (const p of pods) {
        // control-plane proxies read the ConfigMap through valueFrom, as Linkerd skips them
        if (p.namespace === st.snap.config.linkerdNamespace) continue;
        const mismatch = p.trustAnchors.some((text) => !matchesBundle(text, `${p.namespace}/${p.name}`));
        if (mismatch) stale.push(`* ${p.namespace}/${p.name}`);
      }
      return stale.length ? `Some pods do not have the current trust bundle and must be restarted:\n\t${stale.join('\n\t')}` : undefined;
    },
  },
];
