import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayWidth, elapsedSeconds, formatCsv, formatTable } from '../../src/cli/output.js';
import { printer } from './helpers.js';

test('elapsed time: Go durations truncated to the second', () => {
  assert.equal(elapsedSeconds(0, 12_999), '12s');
  assert.equal(elapsedSeconds(0, 3_723_400), '1h2m3s');
});

test("CSV is Go's csv.Writer: quotes only where needed", () => {
  const table: [string[], string][] = [
    [['a', '', 'b c'], 'a,,b c\n'],
    [['x,y', 'say "hi"', ' lead'], '"x,y","say ""hi"""," lead"\n'],
    [['multi\nline'], '"multi\nline"\n'],
  ];
  for (const [row, want] of table) assert.equal(formatCsv([row]), want, JSON.stringify(row));
});

test('display width: emoji with a variation selector take two columns, joiners none', () => {
  assert.equal(displayWidth('abc'), 3);
  assert.equal(displayWidth('\u2714\ufe0f'), 2);
  assert.equal(displayWidth('\u{1f6ab}'), 2);
  assert.equal(displayWidth('\u26a0\ufe0f -'), 4);
  assert.equal(displayWidth('日本'), 4);
});

test('tables: aligned columns, rules sized to the content, trailing spaces trimmed', () => {
  const got = formatTable(
    ['Name', 'Valid', 'X'],
    [
      ['fw', '\u2714\ufe0f', ''],
      ['a-long-name', '\u{1f6ab}', 'y'],
    ],
  );
  assert.equal(
    got,
    [
      '───────────────────────',
      ' Name         Valid  X',
      '───────────────────────',
      ' fw           \u2714\ufe0f',
      ' a-long-name  \u{1f6ab}     y',
      '───────────────────────',
      '',
    ].join('\n'),
  );
  assert.equal(formatTable(null, [['Key', 'v']], 'Title: t'), ' Title: t\n────────\n Key  v\n────────\n');
});

test('json and raw drop info and warnings; notices and errors always reach stderr', () => {
  for (const format of ['human', 'json', 'raw'] as const) {
    const p = printer(format);
    p.out.info('info');
    p.out.warn('warn');
    p.out.notice('notice');
    p.out.error('error');
    assert.equal(p.stderr(), format === 'human' ? 'info\nwarn\nnotice\nerror\n' : 'notice\nerror\n', format);
    assert.equal(p.stdout(), '');
  }
});
