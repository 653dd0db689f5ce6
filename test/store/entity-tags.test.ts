import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { allowlistsVersion } from '../../src/store/allowlists.js';
import { changeTags, tagsFor } from '../../src/store/entity-tags.js';
import { createBouncer, deleteBouncersById, deleteBouncerWithChildren, getBouncer } from '../../src/store/bouncers.js';
import { openDb, type Db } from '../../src/store/db.js';
import { createMachine, deleteMachine } from '../../src/store/machines.js';
import { tempDir, testDbConfig } from '../helpers/app.js';

async function openTestDb(t: TestContext): Promise<Db> {
  const db = await openDb(testDbConfig(tempDir(t)).db);
  t.after(() => db.destroy());
  return db;
}

const allTags = async (db: Db) =>
  (await db.selectFrom('entity_tags').select(['kind', 'name', 'tag']).orderBy('kind').orderBy('name').orderBy('tag').execute()).map(
    (r) => `${r.kind}:${r.name}:${r.tag}`,
  );

test('deleteMachine drops the machine’s tags with it and bumps the allowlists version; a bouncer of the same name keeps its own', async (t) => {
  const db = await openTestDb(t);
  await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
  await createMachine(db, { machineId: 'web-02', passwordHash: 'x', isValidated: true });
  await changeTags(db, 'machine', 'web-01', ['edge', 'eu'], []);
  await changeTags(db, 'machine', 'web-02', ['edge'], []);
  await changeTags(db, 'bouncer', 'web-01', ['edge'], []);
  const before = await allowlistsVersion(db);
  assert.equal(await deleteMachine(db, 'web-01'), true);
  assert.deepEqual(await allTags(db), ['bouncer:web-01:edge', 'machine:web-02:edge']);
  assert.ok((await allowlistsVersion(db)) > before);
  // a missing machine deletes nothing, and leaves the version alone
  const v = await allowlistsVersion(db);
  assert.equal(await deleteMachine(db, 'web-01'), false);
  assert.equal(await allowlistsVersion(db), v);
});

test('deleteMachine in a caller’s transaction: a rollback keeps the machine and its tags together', async (t) => {
  const db = await openTestDb(t);
  await createMachine(db, { machineId: 'web-01', passwordHash: 'x', isValidated: true });
  await changeTags(db, 'machine', 'web-01', ['edge'], []);
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      assert.equal(await deleteMachine(trx, 'web-01'), true);
      throw new Error('abort');
    }),
    /abort/,
  );
  assert.deepEqual(await tagsFor(db, 'machine', 'web-01'), ['edge']);
  assert.ok(await db.selectFrom('machines').select('id').where('machine_id', '=', 'web-01').executeTakeFirst());
});

test('deleteBouncerWithChildren and deleteBouncersById drop the tags of every bouncer they delete, and bump the version', async (t) => {
  const db = await openTestDb(t);
  await createBouncer(db, { name: 'fw', keyHash: 'k1' });
  await createBouncer(db, { name: 'fw@192.0.2.1', keyHash: 'k1', autoCreated: true });
  await createBouncer(db, { name: 'other', keyHash: 'k2' });
  await createBouncer(db, { name: 'tls-fw', keyHash: '', authType: 'tls' });
  for (const name of ['fw', 'fw@192.0.2.1', 'other', 'tls-fw']) await changeTags(db, 'bouncer', name, ['edge'], []);
  await changeTags(db, 'machine', 'fw', ['edge'], []);

  let v = await allowlistsVersion(db);
  assert.equal(await deleteBouncerWithChildren(db, 'fw'), 2);
  assert.deepEqual(await allTags(db), ['bouncer:other:edge', 'bouncer:tls-fw:edge', 'machine:fw:edge']);
  assert.ok((await allowlistsVersion(db)) > v);

  v = await allowlistsVersion(db);
  const tls = await getBouncer(db, 'tls-fw');
  assert.equal(await deleteBouncersById(db, [tls!.id]), 1);
  assert.deepEqual(await allTags(db), ['bouncer:other:edge', 'machine:fw:edge']);
  assert.ok((await allowlistsVersion(db)) > v);
});
