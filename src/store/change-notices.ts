import { sql, type RawBuilder } from 'kysely';
import { basename, dirname } from 'node:path';
import type { Client, Notification } from 'pg';
import type { DbConfig } from '../config/schema.js';
import type { CounterName } from './counters.js';
import type { Db } from './db.js';
import { dialectOf, pgConnection } from './dialect.js';

/**
 * How a node hears, without waiting for its poll, that another process committed a change: the engine
 * side (what to do about it) is engine/change-signals.ts. PostgreSQL sends a notice on a channel at
 * commit; a SQLite commit writes to files a node can watch; MySQL has neither, and the poll stays.
 */

/** The PostgreSQL channel: a transaction that bumps a counter sends that counter's name on it, at commit. */
export const CHANGES_CHANNEL = 'lapis_changes';
/** The listening connection's `application_name`, so that `pg_stat_activity` shows what it is. */
export const LISTENER_NAME = 'lapis-change-listener';

/**
 * On PostgreSQL, the expression that queues the notice for counter `name` in the current transaction
 * (`pg_notify`: sent at commit, never if it rolls back, and once per transaction however many times it is
 * queued); undefined elsewhere. counters.ts returns it from the counter's own UPDATE: no extra round trip.
 */
export function commitNotice(db: Db, name: CounterName): RawBuilder<unknown> | undefined {
  return dialectOf(db) === 'postgres' ? sql`pg_notify(${CHANGES_CHANNEL}, ${name})` : undefined;
}

function isCounterName(s: string | undefined): s is CounterName {
  return s === 'decisions' || s === 'allowlists';
}

/** A connection listening on CHANGES_CHANNEL. */
export interface ChangeListener {
  /** Settles when the connection is gone (closed, dropped by the server, or its heartbeat failed), with the error if any. */
  readonly ended: Promise<Error | undefined>;
  close(): Promise<void>;
}

/**
 * Opens a PostgreSQL connection of its own (outside the pool: a LISTEN belongs to its session) and listens
 * on CHANGES_CHANNEL; `onNotice` hears the counter each committed transaction bumped, from every process
 * on this database, this one's included. A heartbeat query every `heartbeatMs` notices a connection that
 * died without the server closing it. Rejects when it cannot connect.
 */
export async function listenForChanges(
  config: DbConfig,
  onNotice: (name: CounterName) => void,
  opts: { heartbeatMs?: number } = {},
): Promise<ChangeListener> {
  const pg = (await import('pg')).default;
  const heartbeatMs = opts.heartbeatMs ?? 30_000;
  const client = new pg.Client({
    ...pgConnection(config),
    application_name: LISTENER_NAME,
    connectionTimeoutMillis: 10_000,
    query_timeout: 10_000,
    keepAlive: true,
  });
  let failure: Error | undefined;
  let markEnded!: (err: Error | undefined) => void;
  const ended = new Promise<Error | undefined>((resolve) => (markEnded = resolve));
  let heartbeat: NodeJS.Timeout | undefined;
  const finish = (err: Error | undefined) => {
    clearInterval(heartbeat);
    markEnded(err);
  };
  // an error while connected (the server went away, the backend was terminated) is followed by 'end'
  client.on('error', (err) => {
    failure ??= err;
  });
  client.on('end', () => finish(failure));
  client.on('notification', (msg: Notification) => {
    if (msg.channel === CHANGES_CHANNEL && isCounterName(msg.payload)) onNotice(msg.payload);
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
  } catch (err) {
    await endClient(client);
    throw err;
  }
  heartbeat = setInterval(() => {
    client.query('SELECT 1').catch((err: Error) => {
      // the connection may be half-open: report it gone now, and let the client end in its own time
      finish(failure ?? err);
      void endClient(client);
    });
  }, heartbeatMs);
  heartbeat.unref();
  return {
    ended,
    close: async () => {
      clearInterval(heartbeat);
      await endClient(client);
      finish(undefined);
    },
  };
}

/** Ends a client, politely if the server answers within a second, else by closing its socket. */
async function endClient(client: Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    client.end().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 1000);
    }),
  ]);
  clearTimeout(timer);
  if (!ended) client.connection.stream.destroy();
}

/**
 * The files a commit to a SQLite database writes: the database, its write-ahead log and its rollback
 * journal (which of the two depends on `use_wal`), by name inside their directory, which is watched rather
 * than the files, since the log and the journal come and go. Undefined for other engines and for `:memory:`.
 */
export function sqliteCommitFiles(config: DbConfig): { dir: string; names: ReadonlySet<string> } | undefined {
  if (config.type !== 'sqlite' || config.db_path === ':memory:' || config.db_path === '') return undefined;
  const base = basename(config.db_path);
  return { dir: dirname(config.db_path), names: new Set([base, `${base}-wal`, `${base}-journal`]) };
}
