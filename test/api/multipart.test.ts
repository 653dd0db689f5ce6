import assert from 'node:assert/strict';
import { test } from 'node:test';
import { multipartBoundary, multipartField } from '../../src/api/multipart.js';

const form = (b: string, parts: [string, string][], end = `--${b}--\r\n`) =>
  Buffer.from(parts.map(([head, body]) => `--${b}\r\n${head}\r\n\r\n${body}\r\n`).join('') + end, 'utf8');

test('multipartField: the named part, byte for byte, among others', () => {
  const body = form('XyZ', [
    ['Content-Disposition: form-data; name="note"', 'hello'],
    ['Content-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain', '1.2.3.4\r\n5.6.7.8\n'],
  ]);
  assert.equal(multipartField(body, 'multipart/form-data; boundary=XyZ', 'file', 1000).toString(), '1.2.3.4\r\n5.6.7.8\n');
  assert.equal(multipartField(body, 'multipart/form-data; boundary=XyZ', 'note', 1000).toString(), 'hello');
  // a quoted boundary, an unquoted name, an empty part, a preamble
  const quoted = Buffer.concat([Buffer.from('preamble\r\n'), form('a b', [['content-disposition: form-data; name=file', '']])]);
  assert.equal(multipartField(quoted, 'Multipart/Form-Data; charset=utf-8; boundary="a b"', 'file', 10).length, 0);
});

test('multipartField refuses what is not a form, a missing field, a part over the cap', () => {
  const ok = form('b', [['Content-Disposition: form-data; name="file"', '1.2.3.4']]);
  const cases: [Buffer, string | undefined, RegExp][] = [
    [ok, 'application/json', /expected a multipart\/form-data body/],
    [ok, undefined, /expected a multipart\/form-data body/],
    [ok, 'multipart/form-data', /without a valid boundary/],
    [ok, `multipart/form-data; boundary=${'x'.repeat(71)}`, /without a valid boundary/],
    [ok, 'multipart/form-data; boundary=other', /no boundary line/],
    [form('b', [['Content-Disposition: form-data; name="other"', '1']]), 'multipart/form-data; boundary=b', /has no field 'file'/],
    [
      Buffer.from('--b\r\nContent-Disposition: form-data; name="file"\r\n\r\n1.2.3.4'),
      'multipart/form-data; boundary=b',
      /no closing boundary/,
    ],
    [Buffer.from('--b\r\nContent-Disposition: form-data; name="file"'), 'multipart/form-data; boundary=b', /no end of headers/],
    [Buffer.from('--bjunk\r\n'), 'multipart/form-data; boundary=b', /does not end with CRLF/],
  ];
  for (const [body, type, message] of cases) assert.throws(() => multipartField(body, type, 'file', 1000), message, String(type));
  assert.throws(() => multipartField(ok, 'multipart/form-data; boundary=b', 'file', 3), { statusCode: 413 });
  assert.equal(multipartBoundary('multipart/form-data; boundary=abc'), 'abc');
});
