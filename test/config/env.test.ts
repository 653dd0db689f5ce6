import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expandEnv } from '../../src/config/env.js';
import { load, server } from './helpers.js';

describe('environment expansion', () => {
  test('${VAR} and $VAR expand in the file; undefined ones are left as they are', (t) => {
    const c = load(
      t,
      `db_config:\n  password: \${NOPE}\n  user: $DB_USER\n  db_name: "\${EMPTY}"\n${server('listen_uri: ${HOST}:${PORT}')}`,
      { HOST: '127.0.0.2', PORT: '9090', DB_USER: 'crowdsec', EMPTY: '' },
    );
    assert.deepEqual(c.listen, { host: '127.0.0.2', port: 9090 });
    assert.equal(c.db.password, '${NOPE}');
    assert.equal(c.db.user, 'crowdsec');
    assert.equal(c.db.db_name, '');
  });

  test('only the env given is read', (t) => {
    process.env.LAPIS_TEST_ONLY_IN_PROCESS_ENV = 'leaked';
    t.after(() => delete process.env.LAPIS_TEST_ONLY_IN_PROCESS_ENV);
    const c = load(t, 'db_config:\n  user: ${LAPIS_TEST_ONLY_IN_PROCESS_ENV}\n');
    assert.equal(c.db.user, '${LAPIS_TEST_ONLY_IN_PROCESS_ENV}');
  });

  const env = { A: 'a', A_B: 'ab', EMPTY: '', DOLLAR: '$A', 'WITH SPACE': 'ws' };
  const cases: [string, string][] = [
    ['${A}', 'a'],
    ['$A', 'a'],
    ['${A}x', 'ax'],
    ['$Ax', '$Ax'], // the name runs on: `Ax` is undefined
    ['$A_B/$A', 'ab/a'],
    ['$A.$A', 'a.a'],
    ['$A$A', 'aa'],
    ['$$A', '$a'],
    ['$', '$'],
    ['x$', 'x$'],
    ['$-', '$-'],
    ['${}', '${}'],
    ['${A', '${A'],
    ['${WITH SPACE}', 'ws'],
    ['$EMPTY|${EMPTY}|', '||'],
    ['$UNDEFINED ${UNDEFINED}', '$UNDEFINED ${UNDEFINED}'],
    ['$DOLLAR', '$A'], // a value is not expanded again
    ['${toString} $constructor ${__proto__}', '${toString} $constructor ${__proto__}'],
  ];
  for (const [input, want] of cases) {
    test(`expandEnv(${JSON.stringify(input)}) is ${JSON.stringify(want)}`, () => {
      assert.equal(expandEnv(input, env), want);
    });
  }
});
