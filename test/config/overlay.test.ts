import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeOverlay } from '../../src/config/overlay.js';
import { failsWith, load, server } from './helpers.js';

describe('the .local overlay', () => {
  const base =
    `db_config:\n  flush:\n    max_items: 5000\n    max_age: 7d\n` +
    server('log_level: debug\nlisten_uri: 127.0.0.1:8080\ntrusted_ips:\n  - 127.0.0.1\n  - ::1');

  test('maps merge key by key, lists are replaced', (t) => {
    const c = load(
      t,
      base,
      { PORT: '9000' },
      `db_config:\n  flush:\n    max_age: 1d\n${server('listen_uri: 0.0.0.0:${PORT}\ntrusted_ips: [10.0.0.0/8]')}`,
    );
    assert.deepEqual(c.listen, { host: '0.0.0.0', port: 9000 });
    assert.deepEqual(c.server.trusted_ips, ['10.0.0.0/8']);
    assert.equal(c.server.log_level, 'debug');
    assert.equal(c.db.flush?.max_items, 5000);
    assert.equal(c.db.flush?.max_age, '1d');
  });

  test('null in the overlay clears a key', (t) => {
    const c = load(t, base, {}, server('trusted_ips: ~'));
    assert.deepEqual(c.server.trusted_ips, []);
  });

  test('an empty overlay changes nothing', (t) => {
    const c = load(t, base, {}, '');
    assert.deepEqual(c.server.trusted_ips, ['127.0.0.1', '::1']);
  });

  test('the overlay is validated like the file', (t) => {
    failsWith(t, base, 'config: api.server.bar: unknown key', {}, server('bar: 1'));
    failsWith(t, base, 'config: PATH.local: Map keys must be unique at line 2, column 1', {}, 'a: 1\na: 2\n');
    failsWith(t, base, 'config: PATH.local: expected a YAML mapping', {}, '- 1\n');
  });

  test('merging a different kind of value is an error naming the key', (t) => {
    failsWith(
      t,
      base,
      "config: PATH.local: api.server.trusted_ips: can't merge a mapping into a sequence",
      {},
      server('trusted_ips:\n  a: 1'),
    );
    failsWith(t, base, "config: PATH.local: api: can't merge a scalar into a mapping", {}, 'api: 5\n');
    failsWith(t, base, "config: PATH.local: api.server.log_level: can't merge a sequence into a scalar", {}, server('log_level: [info]'));
  });

  const merges: [unknown, unknown, unknown][] = [
    [{ a: 1, b: { c: 2, d: 3 } }, { b: { d: 4, e: 5 } }, { a: 1, b: { c: 2, d: 4, e: 5 } }],
    [{ l: [1, 2, 3] }, { l: [4] }, { l: [4] }],
    [{ a: 1 }, { a: null }, { a: null }],
    [{ a: null }, { a: { b: 1 } }, { a: { b: 1 } }],
    [{ a: 'x' }, { a: 2 }, { a: 2 }],
    [{}, { a: 1 }, { a: 1 }],
    [{ a: 1 }, {}, { a: 1 }],
  ];
  for (const [b, o, want] of merges) {
    test(`mergeOverlay(${JSON.stringify(b)}, ${JSON.stringify(o)})`, () => {
      assert.deepEqual(mergeOverlay(b, o), want);
    });
  }
});
