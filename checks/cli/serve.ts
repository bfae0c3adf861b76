/**
 * `linkerd-cert-guard serve`: the admission webhook, with the informer cache cross-object rules
 * judge against unless --no-cache.
 * Resolves with 0 once a SIGTERM (or SIGINT) drain has finished.
 */
import { Option } from 'commander';
import { MODES, type Mode } from '../config.js';
import { guardError } from '../errors.js';
import { holdYoungGeneration } from '../../webhook/heap.js';
import { createLogger, flushLogger, LOG_LEVELS, type Logger } from '../../webhook/log.js';
import { startWebhookServer, type HostPort } from '../../webhook/server.js';
import { CACHE_DEFAULTS, startInformerCache } from '../../webhook/cache.js';
import { connect } from '../cluster/live.js';
import type { TlsSource } from '../../webhook/tls.js';
import { addCommonOptions, parseCommand, configFromFlags, newCommand, type CommonFlags } from './common.js';
import { reportFailure, type CommandRunner } from './io.js';

interface ServeFlags extends CommonFlags {
  listen: string;
  tlsDir?: string;
  tlsCert?: string;
  tlsKey?: string;
  mode?: Mode;
  metricsListen: string;
  drainDelay: string;
  reloadInterval: string;
  logLevel: (typeof LOG_LEVELS)[number];
  cache: boolean;
  kubeconfig?: string;
  context?: string;
  cacheMaxObjects: string;
}

export const run: CommandRunner = async (argv, io) => {
  const cmd = addCommonOptions(newCommand('serve', io))
    .description('run the admission webhook: POST /mutate repairs, POST /validate rejects (HTTPS)')
    .option('--listen <host:port>', 'HTTPS address', '0.0.0.0:9443')
    .option('--tls-dir <dir>', 'directory holding tls.crt and tls.key (a cert-manager Secret volume)')
    .option('--tls-cert <file>', 'serving certificate (PEM), with --tls-key')
    .option('--tls-key <file>', 'serving private key (PEM), with --tls-cert')
    .addOption(new Option('--mode <mode>', 'enforce: deny and repair; repair: repair and warn; audit: warn only (overrides config mode)').choices(MODES))
    .option('--metrics-listen <host:port>', 'plain-HTTP address of GET /metrics', '0.0.0.0:9090')
    .option('--drain-delay <seconds>', 'after SIGTERM, keep serving this long before closing', '5')
    .option('--reload-interval <seconds>', 'poll the serving certificate files this often (directory events reload sooner)', '10')
    .addOption(new Option('--log-level <level>', 'log level').choices([...LOG_LEVELS]).default('info'))
    .option('--kubeconfig <file>', 'kubeconfig the cache reads the cluster with (default: $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .option('--context <name>', 'kubeconfig context the cache reads')
    .option('--no-cache', 'judge each object alone: no cluster reads, cross-object rules skipped (no RBAC needed)')
    .option('--cache-max-objects <n>', 'cache at most this many objects of each kind (Certificates, Issuers, ...)', String(CACHE_DEFAULTS.maxObjectsPerKind));

  let logger: Logger | undefined;
  try {
    const done = parseCommand(cmd, argv);
    if (done !== undefined) return done;
    const flags = cmd.opts<ServeFlags>();
    const config = configFromFlags(flags, flags.mode ? { mode: flags.mode } : {});
    const tls = tlsSource(flags);
    const listen = parseHostPort(flags.listen, '--listen');
    const metricsListen = parseHostPort(flags.metricsListen, '--metrics-listen');
    const drainDelayMs = seconds(flags.drainDelay, '--drain-delay', 0) * 1000;
    const reloadPollMs = seconds(flags.reloadInterval, '--reload-interval', 0.05) * 1000;
    const maxObjectsPerKind = count(flags.cacheMaxObjects, '--cache-max-objects', 1, 100_000);
    if (!flags.cache && (flags.kubeconfig !== undefined || flags.context !== undefined)) {
      throw guardError('LCG_FLAG_CONFLICT', '--kubeconfig/--context', 'are what the cache reads the cluster with', '--no-cache');
    }
    // Loading the kubeconfig makes no API call; the informers start listing once the server runs.
    const connection = flags.cache
      ? await connect({ ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}), ...(flags.context ? { context: flags.context } : {}), offline: 'run with --no-cache to judge each object alone' })
      : undefined;
    logger = createLogger(flags.logLevel, io.stdout);
    holdYoungGeneration();

    const cluster = connection ? startInformerCache(connection, config, { logger, maxObjectsPerKind }) : undefined;
    const server = await startWebhookServer({ config, tls, listen, metricsListen, logger, drainDelayMs, reloadPollMs, ...(cluster ? { cluster } : {}) }).catch(async (e: unknown) => {
      await cluster?.stop();
      throw e;
    });
    const signal = await new Promise<string>((resolve) => {
      const on = (s: NodeJS.Signals): void => {
        process.off('SIGTERM', on);
        process.off('SIGINT', on);
        resolve(s);
      };
      process.on('SIGTERM', on);
      process.on('SIGINT', on);
    });
    logger.info({ signal }, 'shutting down');
    await server.drain();
    await cluster?.stop();
    await flushLogger(logger);
    return 0;
  } catch (e) {
    return reportFailure(e, io);
  }
};

function tlsSource(flags: ServeFlags): TlsSource {
  if (flags.tlsDir !== undefined) {
    if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
      throw guardError('LCG_FLAG_CONFLICT', '--tls-dir', 'names the serving certificate directory', '--tls-cert/--tls-key');
    }
    return { dir: flags.tlsDir };
  }
  if (flags.tlsCert !== undefined && flags.tlsKey !== undefined) return { certFile: flags.tlsCert, keyFile: flags.tlsKey };
  if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    throw guardError('LCG_FLAG_MISSING', flags.tlsCert !== undefined ? '--tls-cert' : '--tls-key', flags.tlsCert !== undefined ? '--tls-key' : '--tls-cert');
  }
  throw guardError('LCG_FLAG_MISSING', 'serve', 'a serving certificate: --tls-dir DIR or --tls-cert FILE --tls-key FILE');
}

/** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (all interfaces). */
export function parseHostPort(value: string, flag: string): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw guardError('LCG_FLAG_INVALID', flag, 'HOST:PORT', value, '0.0.0.0:9443 or [::]:9443');
  }
  const host = m[1] ?? (m[2] || '0.0.0.0');
  return { host, port };
}

function count(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim())) throw guardError('LCG_FLAG_INVALID', flag, 'a whole number', value);
  if (n < min || n > max) throw guardError('LCG_FLAG_OUT_OF_RANGE', flag, value, `${min} to ${max}`);
  return n;
}

function seconds(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw guardError('LCG_FLAG_INVALID', flag, 'a number of seconds', value);
  if (n < min || n > 3600) throw guardError('LCG_FLAG_OUT_OF_RANGE', flag, value, `${min} to 3600 seconds`);
  return n;
}
