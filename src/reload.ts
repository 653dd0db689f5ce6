import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { AppDeps } from './api/deps.js';
import { checkListenerOptions, listenerTlsOptions, servesTls, type TlsTrust, tlsSettings } from './auth/tls.js';
import { loadConfig } from './config/load.js';
import { loadProfiles } from './config/profiles.js';
import { restartKeys } from './config/restart-keys.js';
import type { Config } from './config/schema.js';
import type { Profile } from './domain/profile.js';
import { pinoLevel } from './logger.js';
import type { NotificationDispatcher } from './notify/index.js';
import { openNotifier } from './runtime.js';

/** What a reload did: `reloaded` as the info line lists it, or `error` when it changed nothing. */
export interface ReloadReport {
  reloaded: string[];
  /** Keys changed in the file that only a restart applies (named in a warning line). */
  restartNeeded: string[];
  error?: string | undefined;
}

/** What a reload acts on: the running server's parts that can change without a restart. */
export interface ReloadTargets {
  /** The configuration the server started with: what is not reloaded is compared with it. */
  started: Config;
  deps: Pick<AppDeps, 'profiles' | 'notifier' | 'tls'>;
  /** The Local API's and the admin API's HTTPS listeners (none over plain HTTP). */
  listeners: { setSecureContext(options: SecureContextOptions): void }[];
  mirror?: { setSecureContext?: ((options: SecureContextOptions) => void) | undefined } | undefined;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}

/** Everything read and checked, nothing in use yet. */
interface Prepared {
  profiles: Profile[];
  notifier: NotificationDispatcher;
  trust: TlsTrust | undefined;
  listener: { options: TlsOptions; expires: Date } | undefined;
  mirror: { options: TlsOptions; expires: Date } | undefined;
  level: string;
  items: string[];
}

/** The CA file and CRL read; a CRL error (which says what, not where) gets the key and path. */
function prepareTrust(tls: NonNullable<AppDeps['tls']>, settings: NonNullable<ReturnType<typeof tlsSettings>>): TlsTrust {
  try {
    return tls.prepare(settings);
  } catch (err) {
    const msg = (err as Error).message;
    throw msg.startsWith('api.server.tls') ? err : new Error(`api.server.tls.crl_path: ${settings.crlPath}: ${msg}`);
  }
}

const day = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** Reads and checks what `next` names; throws the first problem. A notifier built here is closed again on failure. */
function prepare(t: ReloadTargets, next: Config): Prepared {
  const level = pinoLevel(next.logLevel);
  if (!level) throw new Error(`log_level: unknown level '${next.logLevel}'`);
  const profiles = loadProfiles(next.server.profiles_path);
  const notifier = openNotifier(next, profiles, t.logger, t.env);
  try {
    const items = [`profiles (${profiles.length})`, `notifications (${notifier.names.length})`];
    // the way clients are asked for certificates is the listeners' own: it stays as started
    const startedTls = tlsSettings(t.started);
    const nextTls = tlsSettings(next);
    const settings = startedTls && nextTls && { ...nextTls, mode: startedTls.mode };
    const trust = settings && t.deps.tls && prepareTrust(t.deps.tls, settings);
    let listener: Prepared['listener'];
    if (t.listeners.length > 0 && servesTls(settings)) {
      const options = listenerTlsOptions(settings)!;
      const expires = checkListenerOptions(options, `api.server.tls: cert_file ${settings.certFile}, key_file ${settings.keyFile}`);
      listener = { options, expires };
      items.push(`tls certificate (expires ${day(expires)})`);
    }
    if (settings?.caFile) items.push('client ca');
    if (settings?.crlPath) items.push('crl');
    let mirror: Prepared['mirror'];
    const mt = next.mirror?.tls;
    if (t.mirror?.setSecureContext && mt) {
      const where = `blocklist_mirror.tls: cert_file ${mt.certFile}, key_file ${mt.keyFile}`;
      const read = (path: string) => {
        try {
          return readFileSync(path);
        } catch (err) {
          throw new Error(`${where}: ${(err as Error).message}`);
        }
      };
      const options = { cert: read(mt.certFile), key: read(mt.keyFile) };
      mirror = { options, expires: checkListenerOptions(options, where) };
      items.push(`mirror certificate (expires ${day(mirror.expires)})`);
    }
    items.push(`log level ${next.logLevel}`);
    return { profiles, notifier, trust, listener, mirror, level, items };
  } catch (err) {
    void notifier.close(0);
    throw err;
  }
}

/**
 * Puts a prepared reload in use, in one synchronous step: no request sees the new profiles with the old
 * notifiers, nor a new certificate with the old CA. The previous notifiers drain in the background.
 */
function commit(t: ReloadTargets, p: Prepared): void {
  // never rejects: the previous notifiers have drainTimeoutMs to send what they hold
  if (t.deps.notifier) void t.deps.notifier.adopt(p.notifier);
  else void p.notifier.close(0);
  t.deps.profiles.replace(p.profiles);
  if (p.trust) t.deps.tls?.use(p.trust);
  if (p.listener) for (const l of t.listeners) l.setSecureContext(p.listener.options);
  if (p.mirror) t.mirror?.setSecureContext?.(p.mirror.options);
  t.logger.level = p.level;
}

/**
 * Reloads, from the file the server started with (or `next`, already loaded), what changes without a
 * restart: all of it, or nothing when anything new is broken. One log line says what was reloaded, or why
 * nothing was; another names the changed keys that wait for a restart. Never throws.
 */
export function reloadOnce(t: ReloadTargets, next?: Config): ReloadReport {
  let config: Config;
  let prepared: Prepared;
  try {
    config = next ?? loadConfig({ path: t.started.source ?? undefined, env: t.env });
    prepared = prepare(t, config);
  } catch (err) {
    const error = (err as Error).message.replace(/\s*\n\s*/g, ' ');
    t.logger.error(`reload refused, the running configuration stays in effect: ${error}`);
    return { reloaded: [], restartNeeded: [], error };
  }
  commit(t, prepared);
  t.logger.info(`reloaded: ${prepared.items.join(', ')}`);
  const restartNeeded = restartKeys(t.started, config);
  if (restartNeeded.length > 0) t.logger.warn({ keys: restartNeeded }, `not reloaded, a restart applies them: ${restartNeeded.join(', ')}`);
  return { reloaded: prepared.items, restartNeeded };
}

/**
 * Reloads one at a time: a reload asked for while one runs is done once that one is over, and every
 * request that arrives meanwhile shares it (a burst of SIGHUPs makes at most two reloads).
 */
export function reloader(t: ReloadTargets): (next?: Config) => Promise<ReloadReport> {
  let running: Promise<ReloadReport> | undefined;
  let queued: Promise<ReloadReport> | undefined;
  const start = (next?: Config): Promise<ReloadReport> => {
    // the file reads are synchronous: a macrotask later, so that signals that arrive together are coalesced
    const run = new Promise<ReloadReport>((resolve) => setImmediate(() => resolve(reloadOnce(t, next))));
    running = run.finally(() => {
      running = undefined;
    });
    return running;
  };
  return (next) => {
    if (!running) return start(next);
    queued ??= running.then(() => {
      queued = undefined;
      return start(next);
    });
    return queued;
  };
}
