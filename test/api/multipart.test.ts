import assert from 'node:assert/strict';
import { test } from 'node:test';
import { multipartField } from '../../src/api/multipart.js';

const form = (boundary: string, parts: [string, string][]) =>
  Buffer.from(`${parts.map(([head, body]) => `--${boundary}\r\n${head}\r\n\r\n${body}\r\n`).join('')}--${boundary}--\r\n`);

test('multipartField: the named part, byte for byte, among others', async () => {
  const body = form('XyZ', [
    ['Content-Disposition: form-data; name="note"', 'hello'],
    ['Content-Disposition: form-data; name="file"; filename="ips.txt"\r\nContent-Type: text/plain', '1.2.3.4\r\n5.6.7.8\n'],
  ]);
  assert.equal((await multipartField(body, 'multipart/form-data; boundary=XyZ', 'file', 1000)).toString(), '1.2.3.4\r\n5.6.7.8\n');
  assert.equal((await multipartField(body, 'multipart/form-data; boundary=XyZ', 'note', 1000)).toString(), 'hello');
  const quoted = form('a b', [['Content-Disposition: form-data; name="file"; filename="e.txt"', '']]);
  assert.equal((await multipartField(quoted, 'Multipart/Form-Data; charset=utf-8; boundary="a b"', 'file', 10)).length, 0);
});

test('multipartField refuses what is not a form, a missing field, a part over the cap', async () => {
  const ok = form('b', [['Content-Disposition: form-data; name="file"; filename="x"', '1.2.3.4']]);
  const cases: [Buffer, string | undefined, RegExp][] = [
    [ok, 'application/json', /expected a multipart\/form-data body/],
    [ok, undefined, /expected a multipart\/form-data body/],
    [ok, 'multipart/form-data', /malformed multipart\/form-data/],
    [ok, 'multipart/form-data; boundary=other', /malformed multipart\/form-data|has no field 'file'/],
    [form('b', [['Content-Disposition: form-data; name="other"', '1']]), 'multipart/form-data; boundary=b', /has no field 'file'/],
    [
      Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n1.2.3.4'),
      'multipart/form-data; boundary=b',
      /malformed multipart\/form-data|has no field 'file'/,
    ],
  ];
  for (const [body, type, message] of cases)
    await assert.rejects(
      multipartField(body, type, 'file', 1000),
      (err: Error) => message.test(err.message) && (err as { statusCode?: number }).statusCode === 400,
      String(type),
    );
  await assert.rejects(multipartField(ok, 'multipart/form-data; boundary=b', 'file', 3), { statusCode: 413 });
});
