import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { hashApiKey } from '../../src/auth/api-key.js';
import { createAdminKey } from '../../src/store/admin-keys.js';
import { startTestServer } from '../helpers/server.js';

const run = promisify(execFile);
const hasCurl = await run('curl', ['--version']).then(
  () => true,
  () => false,
);

interface Curled {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `curl -si ARGS…` against the real listeners: status, headers (lower-cased) and body. */
async function curl(...args: string[]): Promise<Curled> {
  const { stdout } = await run('curl', ['-si', ...args], { encoding: 'latin1' });
  const cut = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, cut).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head[0]!)![1]), headers, body: stdout.slice(cut + 4) };
}

const KEY = 'an-admin-key-for-the-blocklists-quickstart';

test("the Service API quickstarts with curl against `lapis serve`: a blocklist, its IPs, a firewall integration pulling /content in every format, a deletion, download's 304", {
  skip: !hasCurl && 'no curl',
}, async (t) => {
  const srv = await startTestServer(t);
  await createAdminKey(srv.db, 'quickstart', hashApiKey(KEY));
  const api = `${srv.adminUrl!}/v1`;
  const json = (method: string, path: string, body?: unknown) =>
    curl(
      '-X',
      method,
      '-H',
      `x-api-key: ${KEY}`,
      '-H',
      'Content-Type: application/json',
      ...(body ? ['-d', JSON.stringify(body)] : []),
      `${api}${path}`,
    );

  const created = await json('POST', '/blocklists', { name: 'my_test_blocklist', description: 'testing blocklists' });
  assert.equal(created.status, 201, created.body);
  const list = JSON.parse(created.body) as Record<string, unknown>;
  assert.deepEqual([list.source, list.pricing_tier, list.is_private, (list.stats as { count: number }).count], ['custom', 'free', true, 0]);
  const id = list.id as string;

  assert.equal((await json('POST', `/blocklists/${id}/ips`, { ips: ['1.2.3.4', '5.6.7.8', '10.0.0.0/24', '2001:db8::1'] })).status, 201);
  assert.equal((await json('POST', `/blocklists/${id}/ips`, { ips: ['1.2.3.4', 'not-an-ip'] })).status, 400);

  const made = await json('POST', '/integrations', {
    name: 'test_integration_1',
    description: 'my test integration',
    entity_type: 'firewall_integration',
    output_format: 'plain_text',
  });
  assert.equal(made.status, 201, made.body);
  const integration = JSON.parse(made.body) as { id: string; endpoint: string; credentials: { username: string; password: string } };
  const { username, password } = integration.credentials;
  const sub = await json('POST', `/blocklists/${id}/subscribers`, {
    entity_type: 'firewall_integration',
    ids: [integration.id],
    remediation: 'ban',
  });
  assert.equal(sub.status, 200);
  assert.deepEqual(JSON.parse(sub.body), { updated: [integration.id], errors: [] });

  // the endpoint the integration names answers on the admin listener, and the same path on the Local API's
  assert.equal(integration.endpoint, `${srv.adminUrl}/v1/integrations/${integration.id}/content`);
  const content = (base = srv.adminUrl!) => curl('-u', `${username}:${password}`, `${base}/v1/integrations/${integration.id}/content`);
  const first = await content();
  assert.equal(first.status, 200);
  assert.equal(first.body, '1.2.3.4\n5.6.7.8\n10.0.0.0/24\n2001:db8::1\n');
  assert.equal((await content(srv.url)).body, first.body);
  assert.equal((await curl('-u', `${username}:wrong`, `${srv.url}/v1/integrations/${integration.id}/content`)).status, 401);

  const expected: Record<string, string> = {
    plain_text: '1.2.3.4\n5.6.7.8\n10.0.0.0/24\n2001:db8::1\n',
    juniper: '1.2.3.4\n5.6.7.8\n10.0.0.0/24\n2001:db8::1\n',
    f5: '1.2.3.4,32,BL,crowdsec-test_integration_1\n5.6.7.8,32,BL,crowdsec-test_integration_1\n10.0.0.0,24,BL,crowdsec-test_integration_1\n2001:db8::1,128,BL,crowdsec-test_integration_1\n',
    mikrotik:
      '/ip firewall address-list add list=crowdsec-integration address=1.2.3.4 comment="crowdsec/test_integration_1" timeout=48h;\n' +
      '/ip firewall address-list add list=crowdsec-integration address=5.6.7.8 comment="crowdsec/test_integration_1" timeout=48h;\n' +
      '/ip firewall address-list add list=crowdsec-integration address=10.0.0.0/24 comment="crowdsec/test_integration_1" timeout=48h;\n' +
      '/ipv6 firewall address-list add list=crowdsec-integration address=2001:db8::1 comment="crowdsec/test_integration_1" timeout=48h;\n',
  };
  for (const format of [
    'plain_text',
    'f5',
    'checkpoint',
    'mikrotik',
    'fortigate',
    'paloalto',
    'cisco',
    'juniper',
    'pfsense',
    'opnsense',
    'sophos',
  ]) {
    assert.equal((await json('PATCH', `/integrations/${integration.id}`, { output_format: format })).status, 200, format);
    const r = await content();
    assert.equal(r.status, 200, format);
    assert.equal(r.body.split('\n').length, 5, `${format}: four lines\n${r.body}`);
    if (expected[format]) assert.equal(r.body, expected[format], format);
    if (format === 'checkpoint') assert.match(r.body, /^crowdsec-1,1\.2\.3\.4,IP,high,high,AB,/);
    if (['fortigate', 'paloalto', 'cisco', 'pfsense', 'opnsense', 'sophos'].includes(format))
      assert.equal(r.body, expected.plain_text, format);
  }

  // an item's deletion disappears from the content
  assert.equal((await json('POST', `/blocklists/${id}/ips/delete`, { ips: ['5.6.7.8'] })).status, 204);
  await json('PATCH', `/integrations/${integration.id}`, { output_format: 'plain_text' });
  assert.equal((await content()).body, '1.2.3.4\n10.0.0.0/24\n2001:db8::1\n');

  // download: the list's content, then 304 with its ETag
  const dl = await curl('-H', `x-api-key: ${KEY}`, `${api}/blocklists/${id}/download`);
  assert.equal(dl.status, 200);
  assert.equal(dl.body, '1.2.3.4\n10.0.0.0/24\n2001:db8::1\n');
  const etag = dl.headers.etag!;
  const again = await curl('-H', `x-api-key: ${KEY}`, '-H', `If-None-Match: ${etag}`, `${api}/blocklists/${id}/download`);
  assert.equal(again.status, 304);
  assert.equal(again.body, '');
  const zipped = await curl('--compressed', '-H', `x-api-key: ${KEY}`, `${api}/blocklists/${id}/download`);
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.equal(zipped.body, dl.body);
});
