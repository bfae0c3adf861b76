/**
 * What `check` judges with, behind one lazy import (cli/check.ts): the snapshot, Linkerd's checks over
 * X.509 (pkijs), the multicluster checks and the report formats. A live run has its first requests on
 * the way before it loads these.
 */
export { buildSnapshot } from '../cluster/snapshot.js';
export { CHECK_RENDERERS } from './format.js';
export { ALL_CLUSTERS, CATEGORY_KUBERNETES_API, CATEGORY_MULTICLUSTER, KUBERNETES_API_CHECKS, MULTICLUSTER_CHECKS, judgedClusters } from './multicluster.js';
export { runCategory, runChecks } from './run.js';
export { deriveState } from './state.js';
