import t from 'tap';
import * as judging from '../../../checks/identity/judging.js';
import { buildSnapshot } from '../../../checks/cluster/snapshot.js';
import { CHECK_RENDERERS } from '../../../checks/identity/format.js';
import { judgedClusters } from '../../../checks/identity/multicluster.js';
import { runCategory, runChecks } from '../../../checks/identity/run.js';
import { deriveState } from '../../../checks/identity/state.js';

t.test('the lazily loaded judging half is the checks themselves, not copies', async (t) => {
  t.equal(judging.buildSnapshot, buildSnapshot);
  t.equal(judging.runChecks, runChecks);
  t.equal(judging.runCategory, runCategory);
  t.equal(judging.deriveState, deriveState);
  t.equal(judging.judgedClusters, judgedClusters);
  t.equal(judging.CHECK_RENDERERS, CHECK_RENDERERS);
});
