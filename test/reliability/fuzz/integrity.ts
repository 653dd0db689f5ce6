import { openSqlite } from '../../../src/store/sqlite-driver.js';

/** `PRAGMA integrity_check` on a SQLite file, once the server has closed it: `['ok']` when clean. */
export function sqliteIntegrity(path: string): string[] {
  const db = openSqlite(path);
  try {
    const rows = db.prepare('PRAGMA integrity_check').all([]) as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check);
  } finally {
    db.close();
  }
}
