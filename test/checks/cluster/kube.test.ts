import t from 'tap';
import * as client from '@kubernetes/client-node';
import * as kube from '../../../checks/cluster/kube.js';

t.test('the named parts of client-node are client-node\'s own, and none of its generated API clients', async (t) => {
  for (const [name, value] of Object.entries(kube)) t.equal(value, (client as Record<string, unknown>)[name], name);
  t.notOk(Object.keys(kube).some((k) => k.endsWith('Api')), 'no generated API client: live.ts request() sends every call');
});
