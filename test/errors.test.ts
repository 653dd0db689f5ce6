import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { installErrorHandler } from '../src/api/errors.js';
import { DerError } from '../src/auth/tls-der.js';
import type { CliIo } from '../src/cli/context.js';
import { reportFailure } from '../src/cli/run.js';
import { loadConfig } from '../src/config/load.js';
import { parseAlertFilter } from '../src/domain/alert-filter.js';
import { parseDuration } from '../src/domain/duration.js';
import { parseIp } from '../src/domain/ip-range.js';
import { parseProfiles } from '../src/domain/profile.js';
import { parseTimestamp } from '../src/domain/timestamp.js';
import { ConflictError, InvalidValueError, type LapisError, UserExistsError, withField } from '../src/errors.js';
import { parseNotifiers } from '../src/notify/config.js';
import { parseTemplate } from '../src/gotemplate/template.js';

// Issue 12, structure 4: every input error is one family, answered 400 by the API and printed as one line by
// the CLI, with no translation in between. Each row is raised by the real parser where one exists.

function thrown(fn: () => unknown): InvalidValueError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidValueError, `expected an InvalidValueError, got ${String(err)}`);
    return err;
  }
  assert.fail('nothing thrown');
}

const ROWS: { name: string; make: () => unknown; message?: string; field?: string }[] = [
  { name: 'IpParseError', make: () => parseIp('300.1.2.3'), message: "invalid ip address '300.1.2.3'" },
  { name: 'DurationError', make: () => parseDuration('4x'), message: 'time: unknown unit "x" in duration "4x"' },
  { name: 'TimestampError', make: () => parseTimestamp('yesterday') },
  { name: 'ProfileError', make: () => parseProfiles('name: p2\nfilterz: []\n', 'profiles.yaml') },
  // constructed: the DER reader's own failures need a forged structure, which test/tls covers
  {
    name: 'DerError',
    make: () => {
      throw new DerError('unexpected end of DER');
    },
  },
  { name: 'TemplateError', make: () => parseTemplate('t', '{{end}}') },
  { name: 'NotificationConfigError', make: () => parseNotifiers('type: http\nname: n\nbogus: 1\n', 'n.yaml') },
  { name: 'ConfigError', make: () => loadConfig({ path: '/nonexistent/lapis.yaml', env: {} }) },
  {
    name: 'FilterError',
    make: () => parseAlertFilter({ limit: 'ten' }, 0),
    message: "limit: invalid integer 'ten'",
    field: 'limit',
  },
];

test('each InvalidValueError subclass is a 400 {"message"} from the API, with its message unchanged', async (t) => {
  const app = Fastify();
  installErrorHandler(app);
  let current: Error | undefined;
  app.get('/fail', async () => {
    throw current;
  });
  await app.ready();
  t.after(() => app.close());
  for (const row of ROWS) {
    const err = thrown(row.make);
    assert.equal(err.name, row.name);
    if (row.message !== undefined) assert.equal(err.message, row.message);
    if (row.field !== undefined) assert.equal(err.field, row.field);
    current = err;
    const res = await app.inject({ method: 'GET', url: '/fail' });
    assert.equal(res.statusCode, 400, row.name);
    assert.equal(res.body, JSON.stringify({ message: err.message }), row.name);
  }
});

test('each InvalidValueError subclass is one CLI line and exit 1, without a stack even under LAPIS_DEBUG', () => {
  const run = (err: unknown) => {
    let stderr = '';
    const io: CliIo = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { LAPIS_DEBUG: '1' } };
    return { code: reportFailure(err, 'lapis test', io), stderr };
  };
  for (const row of ROWS) {
    const err = thrown(row.make);
    assert.ok(!err.message.includes('\n'), row.name);
    assert.deepEqual(run(err), { code: 1, stderr: `Error: lapis test: ${err.message}\n` }, row.name);
  }
  // a bug, by contrast, shows its stack under LAPIS_DEBUG
  const bug = run(new TypeError('x is undefined'));
  assert.equal(bug.code, 1);
  assert.match(bug.stderr, /^TypeError: x is undefined\n {4}at /);
  assert.ok(bug.stderr.endsWith('Error: lapis test: x is undefined\n'));
});

test('withField prefixes the message, keeps the class and the most precise field, and lets other errors through', () => {
  const inner = thrown(() => withField('0.decisions.1.duration', () => parseDuration('4x')));
  assert.equal(inner.name, 'DurationError');
  assert.equal(inner.message, '0.decisions.1.duration: time: unknown unit "x" in duration "4x"');
  assert.equal(inner.field, '0.decisions.1.duration');
  assert.equal((inner.cause as Error).message, 'time: unknown unit "x" in duration "4x"');
  const outer = thrown(() => withField('profiles', () => withField('decisions[0].duration', () => parseDuration('4x'))));
  assert.equal(outer.message, 'profiles: decisions[0].duration: time: unknown unit "x" in duration "4x"');
  assert.equal(outer.field, 'decisions[0].duration');
  assert.equal(
    withField('x', () => 7),
    7,
  );
  assert.throws(() => withField('x', () => JSON.parse('{')), SyntaxError);
});

test('the two conflicts are named for what they are: a 403 "user exists" and a 409', () => {
  const rows: [LapisError, number, string][] = [
    [new UserExistsError('user already exist'), 403, 'USER_EXISTS'],
    [new ConflictError("allowlist 'a' already exists"), 409, 'CONFLICT'],
  ];
  for (const [err, status, code] of rows) assert.deepEqual([err.statusCode, err.code], [status, code]);
});
