/**
 * The generated ValidatingAdmissionPolicies on the real kube-apiserver of the end-to-end tier, with
 * the cert-manager and trust-manager CRDs and no webhook registered or running (so nothing but the
 * policies can refuse). The API server must accept every policy (its CEL compiles) and type-check it
 * without warnings, for the default and a renamed configuration; then every rule case is submitted
 * (server-side dry run: admission runs, nothing is stored) and the API server's verdict (refused by
 * which rule and field, warned about which) must equal what the webhook's validating decision
 * (`admit`, the object as submitted and judged alone) is for the same object. With
 * `enforcement: both` the mutating webhook would repair first; here the object is judged as written.
 */
import t from 'tap';
import { request } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { resolveConfig, type Config } from '../../checks/config.js';
import { generatePolicies, type PolicyObject } from '../../checks/policy/generate.js';
import { admit } from '../../webhook/admission.js';
import type { AdmissionRequest } from '../../webhook/review.js';
import { RENAMED_CONFIG, admissionCases, issuer, renamed, type Obj } from '../helpers/rule-cases.js';
import { keyOf, policyVerdict, webhookVerdict } from '../helpers/policy-eval.js';
import { enterTier, installCrds, startEnv, stopAll, waitFor, type Env } from './harness.js';

interface Reply { status: number; body: Obj; warnings: string[] }

const tools = enterTier(t, 'policy end-to-end tier');
if (tools !== null) {
  t.setTimeout(600_000);
  let env: Env;

  /** One request to the API server, with the Warning headers it returns. */
  const call = (method: string, path: string, body?: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const c = env.cluster;
      const req = request(`${c.server}${path}`, { method, ca: c.pki.caPem, headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' }, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const raw = res.headers['warning'];
          const headers = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
          // `299 - "<text>"`; the API server joins several warnings into one header, comma-separated
          const warnings = headers.flatMap((h) => [...h.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] as string).replace(/\\(.)/g, '$1')));
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {}, warnings });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`timeout on ${method} ${path}`)));
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  const API = '/apis/admissionregistration.k8s.io/v1';
  const collection = (o: PolicyObject) => `${API}/${o.kind === 'ValidatingAdmissionPolicy' ? 'validatingadmissionpolicies' : 'validatingadmissionpolicybindings'}`;
  const objectPath = (o: Obj, dryRun = true): string => {
    const base = o.kind === 'Certificate' ? `/apis/cert-manager.io/v1/namespaces/${o.metadata.namespace}/certificates` : '/apis/trust.cert-manager.io/v1alpha1/bundles';
    return `${base}${dryRun ? '?dryRun=All' : ''}`;
  };

  /** The reason a policy gave: the API server prefixes "... with binding '...' denied request: " or "...: ". */
  const reason = (message: string): string => message.replace(/^.*?ValidatingAdmissionPolicy '[^']*' with binding '[^']*'(?: denied request)?: /, '');

  async function apply(objects: PolicyObject[]): Promise<void> {
    for (const o of objects) {
      const r = await call('POST', collection(o), o);
      if (r.status !== 201) throw new Error(`${o.kind} ${o.metadata.name}: ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`);
    }
  }

  async function remove(objects: PolicyObject[]): Promise<void> {
    for (const o of [...objects].reverse()) await call('DELETE', `${collection(o)}/${o.metadata.name}`);
  }

  /**
   * The API server loads each policy and binding on its own (an informer each), so one policy being
   * enforced says nothing of the other three: wait until a probe for each of them (a Certificate and a
   * Bundle the webhook refuses, and one each it only warns about) gets the webhook's verdict.
   */
  async function enforced(config: Config, rename: boolean): Promise<void> {
    const probes: Obj[] = [];
    for (const kind of ['Certificate', 'Bundle']) {
      for (const wants of [(v: ReturnType<typeof webhookDecides>) => v.deniedBy !== null, (v: ReturnType<typeof webhookDecides>) => v.deniedBy === null && v.warned.length > 0]) {
        const found = admissionCases().find((c) => c.config === undefined && c.object().kind === kind && wants(webhookDecides(config, object(c.object(), rename))));
        if (found === undefined) throw new Error(`no ${kind} case to probe the policies with`);
        probes.push(object(found.object(), rename));
      }
    }
    await waitFor('every policy enforced', async () => {
      for (const probe of probes) {
        const { got, want } = await decide(config, probe);
        if (got.deniedBy !== want.deniedBy || JSON.stringify(got.warned) !== JSON.stringify(want.warned)) return false;
      }
      return true;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    t.comment(`policies enforced for ${config.linkerdNamespace}`);
  }

  const object = (o: Obj, rename: boolean): Obj => (rename ? renamed(o) : o);

  /** The API server's verdict on an object (server-side dry run) beside the webhook's. */
  async function decide(config: Config, o: Obj) {
    const want = webhookDecides(config, o);
    const r = await call('POST', objectPath(o), o);
    const denied = r.status === 403 ? [reason(String(r.body.message))] : [];
    return { r, denied, want, got: policyVerdict(denied, r.warnings.map(reason)) };
  }

  function webhookDecides(config: Config, object: Obj) {
    const req = {
      uid: 'e2e', kind: { group: '', version: '', kind: object.kind }, operation: 'CREATE',
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}), name: object.metadata.name, object,
    } as AdmissionRequest;
    return webhookVerdict(admit(req, { ...config, mode: 'enforce' }, 'validate').response);
  }

  t.before(async () => {
    env = await startEnv(tools);
    await installCrds(env.cluster);
    const core = env.cluster.kc.makeApiClient(k8s.CoreV1Api);
    for (const name of ['linkerd', 'cert-manager', 'mesh-system', 'pki']) await core.createNamespace({ body: { metadata: { name } } });
  });
  t.teardown(() => stopAll(env?.dir));

  for (const [label, layer, rename] of [['default configuration', {}, false], ['renamed namespaces and names', RENAMED_CONFIG, true]] as const) {
    t.test(label, async (t) => {
      const config = resolveConfig(layer, { mode: 'enforce' });
      const policies = generatePolicies(config, 'enforce');
      await apply(policies);
      t.teardown(() => remove(policies));
      t.pass(`the API server accepts all ${policies.length} policies and bindings (every CEL expression compiles)`);

      // status.typeChecking is written by kube-controller-manager's validatingadmissionpolicy-status
      // controller, which this tier does not run: checked when present, noted when not
      for (const p of policies.filter((o) => o.kind === 'ValidatingAdmissionPolicy')) {
        const r = await call('GET', `${collection(p)}/${p.metadata.name}`);
        if (r.body.status?.typeChecking === undefined) t.comment(`${p.metadata.name}: no status.typeChecking (no kube-controller-manager in this tier)`);
        else t.same(r.body.status.typeChecking.expressionWarnings ?? [], [], `${p.metadata.name}: type-checks against the CRD schema without warnings`);
      }

      await enforced(config, rename);

      let refused = 0;
      let admitted = 0;
      for (const c of admissionCases()) {
        if (c.config !== undefined) continue; // a case with its own configuration needs its own policies (offline tests cover them)
        const { r, denied, want, got } = await decide(config, object(c.object(), rename));
        t.not(r.status, 422, `${c.rule}: ${c.name}: the CRD schema admits the object (${String(r.body.message ?? '')})`);
        t.ok(r.status === 201 || r.status === 403, `${c.rule}: ${c.name}: admitted or refused (${r.status})`);
        t.same({ deniedBy: got.deniedBy, warned: got.warned }, { deniedBy: want.deniedBy, warned: want.warned }, `${c.rule}: ${c.name}: the API server decides as the webhook (${got.deniedBy ?? 'admitted'})`);
        if (want.deniedBy !== null) {
          refused++;
          t.ok(want.denied.includes(keyOf(denied[0] ?? '')), `${c.rule}: ${c.name}: refused for a finding the webhook denies for`);
        } else admitted++;
      }
      t.ok(refused >= 20 && admitted >= 15, `refused ${refused}, admitted ${admitted} (no webhook registered or running)`);
    });
  }

  t.test('UPDATE on the API server: an existing violation warns, a new one is refused', async (t) => {
    const config = resolveConfig({ mode: 'enforce' });
    const stored = issuer();
    stored.spec.privateKey.size = 384; // key-size violation, created before any policy exists
    const created = await call('POST', objectPath(stored, false), stored);
    t.equal(created.status, 201);
    const policies = generatePolicies(config, 'enforce');
    await apply(policies);
    t.teardown(() => remove(policies));
    await enforced(config, false);
    const path = `/apis/cert-manager.io/v1/namespaces/linkerd/certificates/${stored.metadata.name}?dryRun=All`;
    const same = { ...created.body, spec: { ...created.body.spec, duration: '48h' } };
    const r1 = await call('PUT', path, same);
    t.equal(r1.status, 200, 'an edit keeping the old violation is admitted');
    t.match(r1.warnings.map(reason), [/certificate\/key-size; already present before this update/]);
    const worse = { ...created.body, spec: { ...created.body.spec, isCA: false } };
    const r2 = await call('PUT', path, worse);
    t.equal(r2.status, 403, 'a new violation is refused');
    t.match(reason(String(r2.body.message)), /^spec\.isCA .*\(certificate\/is-ca\)$/);
  });
}
