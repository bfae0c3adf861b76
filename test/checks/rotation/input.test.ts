import t from 'tap';
import { resolveConfig } from '../../../checks/config.js';
import { lastChanged, rotationInput } from '../../../checks/rotation/input.js';
import type { K8sObject } from '../../../checks/rules/types.js';
import { rotationFixture } from '../../helpers/rotation.js';

t.test('lastChanged reads the latest managedFields time', async (t) => {
  const o = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', managedFields: [{ time: '2026-01-01T00:00:00Z' }, { time: '2026-01-02T00:00:00Z' }, { time: 'garbage' }] } } as K8sObject;
  t.equal(lastChanged(o)?.toISOString(), '2026-01-02T00:00:00.000Z');
  t.equal(lastChanged({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } as K8sObject), undefined);
});

t.test('objects become the plan input: anchors, bundle, issuer, pods by role; deleted pods left out', async (t) => {
  const f = await rotationFixture();
  const objects = f.staged() as K8sObject[];
  const gone = structuredClone(objects.find((o) => o.kind === 'Pod')!) as K8sObject & { metadata: Record<string, unknown> };
  gone.metadata['name'] = 'going';
  gone.metadata['deletionTimestamp'] = '2026-01-01T00:00:00Z';
  const inp = rotationInput(resolveConfig(), { objects: [...objects, gone], podsKnown: true });
  t.equal(inp.current?.fingerprint, Buffer.from(f.newAnchor.der).toString('base64'));
  t.equal(inp.previous?.fingerprint, Buffer.from(f.oldAnchor.der).toString('base64'));
  t.equal(inp.bundle?.length, 2);
  t.equal(inp.issuer?.serial, BigInt('0x' + Buffer.from(f.oldIssuer.cert.serialNumber.valueBlock.valueHexView).toString('hex')).toString());
  t.strictSame(inp.controlPlanePods?.map((p) => p.name), ['linkerd-identity-1']);
  t.strictSame(inp.meshedPods?.map((p) => p.name), ['web-1']);
  t.equal(inp.meshedPods?.[0]?.trustAnchors?.length, 1);
  const unknown = rotationInput(resolveConfig(), { objects, podsKnown: false });
  t.equal(unknown.controlPlanePods, undefined, 'pods not read: unknown');
  const renamed = rotationInput(resolveConfig({ anchorNames: ['a', 'b'] }), { objects, podsKnown: false });
  t.equal(renamed.current, undefined, 'anchorNames are honoured');
  t.equal(renamed.names.anchor, 'a');
});
