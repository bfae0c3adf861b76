/**
 * The parts of @kubernetes/client-node the live commands use: the kubeconfig, the request machinery
 * live.ts `request` sends through, and the webhook cache's watch and informer store. Its generated API
 * clients are left out: with them the CLI bundle's client chunk was 5.7 MB, and importing the package's
 * index loads about 2,500 modules (about half a second before a live command's first request). The
 * bundle (`npm run build`, dist/bin) carries only what is exported here. Imported lazily (live.ts
 * `connect`), so offline commands never load it.
 */
export { ApiException, HttpMethod, KubeConfig, ListWatch, ResponseContext, ServerConfiguration, Watch, createConfiguration, wrapHttpLibrary } from '@kubernetes/client-node';
