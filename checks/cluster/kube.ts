/**
 * The parts of @kubernetes/client-node the CLI and the webhook use, named one by one. Its index
 * loads about 2,500 modules (about half a second of start-up for every live command); the CLI's
 * bundle (`npm run build`, dist/bin) carries only what is exported here and what it depends on.
 * Imported lazily (live.ts `connect`), so offline commands never load it.
 */
export {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  ListWatch,
  PatchStrategy,
  ResponseContext,
  ServerConfiguration,
  Watch,
  createConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
