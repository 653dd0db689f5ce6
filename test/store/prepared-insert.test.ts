import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDb } from '../../src/store/db.js';
import { insertedId } from '../../src/store/dialect.js';
import { PreparedInsert } from '../../src/store/prepared-insert.js';
import { tempDir, testDbConfig } from '../helpers/app.js';

const COLUMNS = [
  'machine_id',
  'password',
  'created_at',
  'updated_at',
  'is_validated',
  'scenarios',
  'feature_flags',
  'hubstate',
  'datasources',
] as const;
const INSERT = new PreparedInsert('machines', COLUMNS);

test('a prepared INSERT binds each value to its column, for one row (reporting its id) and for several', async (t) => {
  const db = await openDb(testDbConfig(tempDir(t)).db);
  t.after(() => db.destroy());
  const row = (name: string, at: number) => [
    name,
    `hash-${name}`,
    at,
    at + 1,
    name === 'b' ? 1 : 0,
    `s-${name}`,
    `f-${name}`,
    `h-${name}`,
    `d-${name}`,
  ];
  // twice: the second run takes the SQL made by the first
  const first = insertedId(await db.executeQuery(INSERT.compile(db, [row('a', 1000)], 'id')));
  const again = insertedId(await db.executeQuery(INSERT.compile(db, [row('a2', 1500)], 'id')));
  assert.ok(again > first);
  await db.executeQuery(INSERT.compile(db, [row('b', 2000), row('c', 3000), row('d', 4000)]));
  const stored = await db
    .selectFrom('machines')
    .select(['id', ...COLUMNS])
    .orderBy('machine_id')
    .execute();
  assert.deepEqual(
    stored.map((r) => [
      r.machine_id,
      r.password,
      Number(r.created_at),
      Number(r.updated_at),
      Number(r.is_validated),
      r.scenarios,
      r.feature_flags,
      r.hubstate,
      r.datasources,
    ]),
    [row('a', 1000), row('a2', 1500), row('b', 2000), row('c', 3000), row('d', 4000)],
  );
  assert.equal(Number(stored[0]!.id), first);
});
