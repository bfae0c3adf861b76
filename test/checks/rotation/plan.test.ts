import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { rotationInput } from '../../../checks/rotation/input.js';
import { planRotation, referenceTime, STEP_IDS, type RotationPlan } from '../../../checks/rotation/plan.js';
import type { K8sObject } from '../../../checks/rules/types.js';
import { meshedPod, rotationFixture } from '../../helpers/rotation.js';

const config = resolveConfig();
const plan = (objects: object[], podsKnown = true): Promise<RotationPlan> => planRotation(rotationInput(config, { objects: objects as K8sObject[], podsKnown }));
const states = (p: RotationPlan) => p.steps.map((s) => s.state);

t.test('the seven steps, in the order of Linkerd\'s guide, with their public ids', async (t) => {
  t.strictSame([...STEP_IDS], ['renew-anchor', 'restart-control-plane', 'restart-data-plane', 'renew-issuer', 'restart-control-plane-after-issuer', 'restart-data-plane-after-issuer', 'retire-old-anchor']);
});

t.test('each moment of a rotation is placed at the right step', async (t) => {
  const f = await rotationFixture();
  const steady = await plan(f.steady());
  t.equal(steady.phase, 'steady');
  t.strictSame(steady.next, { id: 'renew-anchor', title: 'renew the trust anchor' }, 'steady: next is renew-anchor');
  t.strictSame(steady.blockers, []);

  const staged = await plan(f.staged());
  t.equal(staged.phase, 'rotating');
  t.strictSame(states(staged), ['done', 'next', 'pending', 'pending', 'pending', 'pending', 'pending']);
  t.match(staged.steps[1]?.detail, /linkerd\/linkerd-identity-1/, 'names the control-plane pod to restart');

  const cpDone = await plan(f.staged({ restarted: 'control-plane' }));
  t.strictSame(states(cpDone), ['done', 'done', 'next', 'pending', 'pending', 'pending', 'pending']);
  t.match(cpDone.steps[2]?.detail, /emojivoto\/web-1/);

  const bothDone = await plan(f.staged({ restarted: 'both' }));
  t.equal(bothDone.next?.id, 'renew-issuer', 'the issuer is renewed only once every proxy trusts both anchors');

  const reissued = await plan(f.reissued());
  t.strictSame(states(reissued), ['done', 'done', 'done', 'done', 'next', 'pending', 'pending']);
  const restartedAfter = await plan(f.reissued({ restarted: 'both' }));
  t.equal(restartedAfter.next?.id, 'retire-old-anchor');

  const retiring = await plan(f.retired({ synced: false }));
  t.equal(retiring.phase, 'rotating');
  t.equal(retiring.next?.id, 'retire-old-anchor');
  t.match(retiring.steps[6]?.detail, /waiting for trust-manager to drop the old one/);
  const retired = await plan(f.retired());
  t.equal(retired.phase, 'steady', 'retired: steady again');
});

t.test("the older five-step order (issuer before the restarts) is caught", async (t) => {
  const f = await rotationFixture();
  // the issuer re-issued under the new anchor while the pods still hold only the old one
  const objects = f.staged().map((o) => (o as { metadata: { name: string } }).metadata.name === 'linkerd-identity-issuer' ? f.reissued().find((x) => (x as { metadata: { name: string } }).metadata.name === 'linkerd-identity-issuer')! : o);
  const p = await plan(objects);
  t.equal(p.next?.id, 'restart-control-plane');
  t.match(p.blockers.join('\n'), /re-issued under the new anchor before every workload trusted it/);
});

t.test('what is not known is unknown, never assumed done', async (t) => {
  const f = await rotationFixture();
  const noPods = await plan(f.staged().filter((o) => (o as { kind: string }).kind !== 'Pod'), false);
  t.equal(noPods.steps[1]?.state, 'unknown');
  t.equal(noPods.next?.id, 'restart-control-plane');
  const noAnchor = await plan(f.staged().filter((o) => (o as { metadata: { name: string } }).metadata.name !== 'linkerd-trust-anchor'));
  t.ok(noAnchor.steps.every((s) => s.state === 'unknown'));
  t.match(noAnchor.blockers[0], /Secret cert-manager\/linkerd-trust-anchor has no tls\.crt/);
  t.equal(noAnchor.next, null);
});

t.test('a pod that is not Ready has not finished its restart', async (t) => {
  const f = await rotationFixture();
  const objects = f.staged({ restarted: 'control-plane' }).map((o) => {
    const pod = o as { kind: string; metadata: { namespace: string }; status: { conditions: Array<{ status: string }> } };
    if (pod.kind === 'Pod' && pod.metadata.namespace === 'linkerd') pod.status.conditions = [{ type: 'Ready', status: 'False' } as never];
    return o;
  });
  t.equal((await plan(objects)).next?.id, 'restart-control-plane');
});

t.test('restart reference times: the bundle change, then the issuer, then the identity controller', async (t) => {
  const f = await rotationFixture();
  const inp = rotationInput(config, { objects: f.reissued() as K8sObject[], podsKnown: true });
  const bundleAt = referenceTime('restart-control-plane', inp);
  const changed = Math.max(inp.bundleChangedAt?.getTime() ?? 0, f.newAnchor.notBefore.getTime());
  t.strictSame([bundleAt?.identity.getTime(), bundleAt?.others.getTime()], [changed, changed], 'the later of the new anchor and the bundle ConfigMap change, for every pod');
  const afterIssuer = referenceTime('restart-control-plane-after-issuer', inp);
  t.equal(afterIssuer?.identity.getTime(), f.newIssuer.notBefore.getTime(), 'the identity controller: the issuer\'s notBefore, without a later Secret change');
  t.equal(afterIssuer?.others.getTime(), f.newIssuer.notBefore.getTime(), 'the others: the same while the identity controller started before it');
  t.strictSame(referenceTime('restart-data-plane-after-issuer', inp), afterIssuer, 'the data plane: the same');
  const restarted = f.reissued({ restarted: 'both' });
  const identityStart = Date.parse((restarted.find((o) => (o as { metadata: { name: string } }).metadata.name === 'linkerd-identity-1') as { status: { startTime: string } }).status.startTime);
  t.ok(identityStart > f.newIssuer.notBefore.getTime());
  t.equal(referenceTime('restart-data-plane-after-issuer', rotationInput(config, { objects: restarted as K8sObject[], podsKnown: true }))?.others.getTime(), identityStart,
    'then the restart of the identity controller, which signs proxies\' certificates with the issuer it loaded');
  t.equal(referenceTime('renew-issuer', inp), undefined);
});

t.test('after the issuer changed, the rest of the control plane restarts after the identity controller', async (t) => {
  const f = await rotationFixture();
  const objects = f.reissued({ restarted: 'both' });
  const identity = objects.find((o) => (o as { metadata: { name: string } }).metadata.name === 'linkerd-identity-1') as { status: { startTime: string } };
  const identityStart = new Date(identity.status.startTime);
  const destination = (started: Date) => meshedPod('linkerd', 'linkerd-destination-1', started, [f.newAnchor, f.oldAnchor]);
  const tooEarly = await plan([...objects, destination(new Date(identityStart.getTime() - 60_000))]);
  t.equal(tooEarly.next?.id, 'restart-control-plane-after-issuer', 'a destination pod started after the issuer but before the identity controller');
  t.match(tooEarly.steps[4]?.detail, /1 control-plane pod\(s\) started before the identity controller had the new issuer .*linkerd\/linkerd-destination-1/);
  t.equal((await plan([...objects, destination(new Date(identityStart.getTime() + 60_000))])).steps[4]?.state, 'done', 'and after it');
  identity.status.startTime = new Date(f.newIssuer.notBefore.getTime() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const oldIdentity = await plan([...objects, destination(new Date(f.newIssuer.notBefore.getTime() + 60_000))]);
  t.match(oldIdentity.steps[4]?.detail, /1 identity controller pod\(s\) started before the issuer changed .*linkerd\/linkerd-identity-1/, 'the identity controller is named first');
});

t.test('the issuer changed when its Secret was written, if that is later than its notBefore (a backdated issuer)', async (t) => {
  const f = await rotationFixture();
  const written = new Date(f.newIssuer.notBefore.getTime() + 30_000);
  const objects = f.reissued({ restarted: 'both' }).map((o) => {
    const m = (o as { kind: string; metadata: { name: string; managedFields?: unknown[] } });
    if (m.kind === 'Secret' && m.metadata.name === 'linkerd-identity-issuer') m.metadata.managedFields = [{ manager: 'cert-manager-certificates-issuing', operation: 'Update', time: written.toISOString().replace(/\.\d+Z$/, 'Z') }];
    return o;
  });
  const inp = rotationInput(config, { objects: objects as K8sObject[], podsKnown: true });
  t.equal(referenceTime('restart-control-plane-after-issuer', inp)?.identity.getTime(), written.getTime());
});

t.test('a pod that started in the same second as the change is not known to have started after it', async (t) => {
  const f = await rotationFixture();
  const sameSecond = f.newIssuer.notBefore.toISOString().replace(/\.\d+Z$/, 'Z');
  const withStarts = (cp: string, dp: string) => f.reissued({ restarted: 'both' }).map((o) => {
    const pod = o as { kind: string; metadata: { namespace: string }; status: { startTime: string } };
    if (pod.kind === 'Pod') pod.status.startTime = pod.metadata.namespace === 'linkerd' ? cp : dp;
    return o;
  });
  const later = (s: number) => new Date(f.newIssuer.notBefore.getTime() + s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  t.equal((await plan(withStarts(sameSecond, later(5)))).next?.id, 'restart-control-plane-after-issuer', 'the identity controller started in the issuer\'s second');
  t.equal((await plan(withStarts(later(1), later(1)))).next?.id, 'restart-data-plane-after-issuer', 'a proxy that started in the identity controller\'s second');
  t.equal((await plan(withStarts(later(1), later(2)))).next?.id, 'retire-old-anchor', 'a second later each');
});
