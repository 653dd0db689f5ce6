import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { TestApp } from '../helpers/app.js';
import { tempDir, testDbConfig } from '../helpers/app.js';
import { addAdminKey, addBouncer, addMachine, cscliAlert, login, pushAlerts } from '../helpers/actors.js';
import { type AdminCall, makeList } from '../helpers/admin.js';
import type { After } from '../helpers/context.js';
import { hasOpenssl, makePki } from '../helpers/pki.js';
import { startTestServer } from '../helpers/server.js';
import { https } from '../helpers/tls.js';
import { startServer } from '../../src/server.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  raw: Buffer;
  body: string;
}

/** One request over real HTTP, nothing added (fetch would ask for gzip and unpack it). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, raw, body: raw.toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** Durations depend on the clock: a 4h decision shows 4h0m0s or a second or two less. */
const D = (body: string) => body.replace(/"(3h59m5\d|4h0m0)s"/g, '"D"');

const MIRROR = `blocklist_mirror:
  listen_uri: 127.0.0.1:0
  crowdsec_config:
    lapi_url: http://127.0.0.1:8080/
    lapi_key: not-used
    update_frequency: 10s
  blocklists:
    - {format: plain_text, endpoint: /security/blocklist}
    - {format: f5, endpoint: /f5}
    - {format: juniper, endpoint: /juniper.txt}
    - {format: mikrotik, endpoint: /mikrotik}
    - {format: juniper, endpoint: /aggregated, aggregate: true}
    - format: plain_text
      endpoint: /basic
      authentication: {type: Basic, user: fw, password: 's3cret:with colon'}
    - format: plain_text
      endpoint: /trusted
      authentication: {type: ip_based, trusted_ips: [127.0.0.1, '::1']}
    - format: plain_text
      endpoint: /untrusted
      authentication: {type: ip_based, trusted_ips: [10.0.0.0/8, '::1']}
`;

/** A Lapis with the mirror on, and decisions pushed by a machine through the Local API. */
async function mirrorWith(t: After, yaml: string, alerts: unknown[]): Promise<{ url: string }> {
  const srv = await startTestServer(t, yaml);
  assert.ok(srv.mirrorUrl, 'the mirror listens');
  const ta = { app: srv.app, db: srv.db } as TestApp;
  if (alerts.length > 0) {
    await addMachine(ta);
    await pushAlerts(ta, await login(ta), alerts);
  }
  return { url: srv.mirrorUrl };
}

/** §6.4's four decisions. */
const FOUR = [
  cscliAlert('1.2.3.4', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf' }),
  cscliAlert('5.6.7.8', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf' }),
  cscliAlert('10.0.0.0/24', { scenario: "manual 'ban' from 'm1'" }),
  cscliAlert('2001:db8::1', { origin: 'crowdsec', scenario: 'crowdsecurity/http-probing' }),
];

test("the four formats, byte for byte as §6.4, from the instance's own decisions", async (t) => {
  const { url } = await mirrorWith(t, MIRROR, FOUR);
  const plain = await get(`${url}/security/blocklist`);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body, '1.2.3.4\n10.0.0.0/24\n2001:db8::1\n5.6.7.8\n');
  assert.equal(
    (await get(`${url}/f5`)).body,
    "1.2.3.4,32,bl,ssh-bf\n10.0.0.0,24,bl,manual 'ban' from 'm1'\n2001:db8::1,64,bl,http-probing\n5.6.7.8,32,bl,ssh-bf\n",
  );
  assert.equal((await get(`${url}/juniper.txt`)).body, '1.2.3.4/32\n10.0.0.0/24\n2001:db8::1/128\n5.6.7.8/32\n');
  const block = (menu: string, fn: string, list: string) => [
    '',
    `/${menu}/firewall/address-list/remove [ find where list="${list}" ];`,
    `:global ${fn};`,
    `:set ${fn} do={`,
    `    :do { /${menu}/firewall/address-list/add list=${list} address=$1 comment="$2" timeout=$3; } on-error={ }`,
    '}',
  ];
  const calls = [
    '$CrowdSecAddIP "1.2.3.4" "crowdsecurity/ssh-bf" "D"',
    `$CrowdSecAddIP "10.0.0.0/24" "manual 'ban' from 'm1'" "D"`,
    '$CrowdSecAddIPv6 "2001:db8::1" "crowdsecurity/http-probing" "D"',
    '$CrowdSecAddIP "5.6.7.8" "crowdsecurity/ssh-bf" "D"',
  ];
  assert.equal(
    D((await get(`${url}/mikrotik`)).body),
    [
      ...block('ip', 'CrowdSecAddIP', 'CrowdSec'),
      ...block('ipv6', 'CrowdSecAddIPv6', 'CrowdSec'),
      ...calls,
      '',
      ':set CrowdSecAddIP;',
      ':set CrowdSecAddIPv6;',
    ].join('\n'),
  );
  assert.equal(
    D((await get(`${url}/mikrotik?ipv4only&listname=fw_ban`)).body),
    [...block('ip', 'CrowdSecAddIP', 'fw_ban'), calls[0], calls[1], calls[3], '', ':set CrowdSecAddIP;'].join('\n'),
  );
  assert.equal(
    D((await get(`${url}/mikrotik?ipv6only=1`)).body),
    [...block('ipv6', 'CrowdSecAddIPv6', 'CrowdSec'), calls[2], '', ':set CrowdSecAddIPv6;'].join('\n'),
  );
  // any method on the exact path, as Go's ServeMux; HEAD has the headers and no body
  assert.equal((await get(`${url}/juniper.txt`, {}, 'POST')).body, '1.2.3.4/32\n10.0.0.0/24\n2001:db8::1/128\n5.6.7.8/32\n');
  const head = await get(`${url}/juniper.txt`, {}, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
});

test('query parameters: ipv4only, ipv6only, origin, supported_decisions_types, nosort; 404 when nothing is left', async (t) => {
  const { url } = await mirrorWith(t, MIRROR, [
    ...FOUR,
    cscliAlert('9.9.9.9', { origin: 'lists', scenario: 'lists:firehol', type: 'captcha' }),
  ]);
  const body = async (qs: string) => (await get(`${url}/security/blocklist?${qs}`)).body;
  assert.equal(await body(''), '1.2.3.4\n10.0.0.0/24\n2001:db8::1\n5.6.7.8\n9.9.9.9\n');
  assert.equal(await body('ipv4only'), '1.2.3.4\n10.0.0.0/24\n5.6.7.8\n9.9.9.9\n');
  assert.equal(await body('ipv6only'), '2001:db8::1\n');
  assert.equal(await body('origin=CSCLI'), '10.0.0.0/24\n');
  assert.equal(await body('origin=lists'), '9.9.9.9\n');
  assert.equal(await body('supported_decisions_types=captcha'), '9.9.9.9\n');
  assert.equal(await body('supported_decisions_types=ban&ipv4only'), '1.2.3.4\n10.0.0.0/24\n5.6.7.8\n');
  // the index's order (ascending id) instead of the string order
  assert.equal(await body('nosort'), '1.2.3.4\n5.6.7.8\n10.0.0.0/24\n2001:db8::1\n9.9.9.9\n');
  const none = await get(`${url}/security/blocklist?origin=nobody`);
  assert.equal(none.status, 404);
  assert.equal(none.body, 'no decisions available\n');
  assert.equal(none.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(none.headers['x-content-type-options'], 'nosniff');
  // aggregate: minimal CIDRs, whatever the type or origin
  assert.equal((await get(`${url}/aggregated?origin=nobody`)).body, '1.2.3.4/32\n10.0.0.0/24\n2001:db8::1/128\n5.6.7.8/32\n9.9.9.9/32\n');
  // a list name that would change the script is refused (mikrotik only)
  const bad = await get(`${url}/mikrotik?listname=a%22b`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body, "listname: 'a\"b' is not a usable address-list name (letters, digits and _ . : @ + - only)\n");
  assert.equal((await get(`${url}/juniper.txt?listname=a%22b&ipv6only`)).body, '2001:db8::1/128\n');
});

test('nothing to serve: 404 no decisions available; an unknown path: Go’s 404', async (t) => {
  const { url } = await mirrorWith(t, MIRROR, []);
  for (const path of ['/security/blocklist', '/f5', '/mikrotik', '/aggregated']) {
    const res = await get(`${url}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal(res.body, 'no decisions available\n');
  }
  for (const path of ['/', '/security/blocklist/', '/security', '/F5']) {
    const res = await get(`${url}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal(res.body, '404 page not found\n');
  }
});

test('authentication: basic (401 with the challenge, 403 when wrong), ip_based (403 outside trusted_ips)', async (t) => {
  const { url } = await mirrorWith(t, MIRROR, FOUR.slice(0, 1));
  const missing = await get(`${url}/basic`);
  assert.equal(missing.status, 401);
  assert.equal(missing.headers['www-authenticate'], 'Basic realm="crowdsec-blocklist-mirror"');
  assert.equal(missing.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(missing.body, 'access denied\n');
  assert.equal((await get(`${url}/basic`, { authorization: '' })).status, 401);
  for (const wrong of [
    basic('fw', 'nope'),
    basic('FW', 's3cret:with colon'),
    `basic ${basic('fw', 's3cret:with colon').slice(6)}`,
    'Bearer x',
  ]) {
    const res = await get(`${url}/basic`, { authorization: wrong });
    assert.equal(res.status, 403, wrong);
    assert.equal(res.body, 'access denied\n');
    assert.equal(res.headers['www-authenticate'], undefined);
  }
  const ok = await get(`${url}/basic`, { authorization: basic('fw', 's3cret:with colon') });
  assert.equal(ok.status, 200);
  assert.equal(ok.body, '1.2.3.4\n');
  assert.equal((await get(`${url}/trusted`)).body, '1.2.3.4\n');
  const refused = await get(`${url}/untrusted`, { 'x-forwarded-for': '10.1.2.3' });
  assert.equal(refused.status, 403);
  assert.equal(refused.body, 'access denied\n');
  // open endpoints ignore credentials
  assert.equal((await get(`${url}/f5`, { authorization: 'Basic eA==' })).status, 200);
});

test('gzip when Accept-Encoding has it: Content-Encoding gzip and no Content-Type, errors included', async (t) => {
  const { url } = await mirrorWith(t, MIRROR, FOUR);
  const res = await get(`${url}/juniper.txt`, { 'accept-encoding': 'deflate, gzip;q=1.0, br' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-encoding'], 'gzip');
  assert.equal(res.headers['content-type'], undefined);
  assert.equal(gunzipSync(res.raw).toString(), '1.2.3.4/32\n10.0.0.0/24\n2001:db8::1/128\n5.6.7.8/32\n');
  const denied = await get(`${url}/basic`, { 'accept-encoding': 'gzip' });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(denied.raw).toString(), 'access denied\n');
  const none = await get(`${url}/f5?origin=x`, { 'accept-encoding': 'gzip' });
  assert.equal(none.status, 404);
  assert.equal(gunzipSync(none.raw).toString(), 'no decisions available\n');
  // Go's own 404 is outside the gzip middleware
  const unknown = await get(`${url}/nope`, { 'accept-encoding': 'gzip' });
  assert.equal(unknown.headers['content-encoding'], undefined);
  assert.equal(unknown.body, '404 page not found\n');
});

test("crowdsec_config's filters: scopes, scenarios, origins, decision types; simulated never; one decision per value", async (t) => {
  const yaml = `blocklist_mirror:
  listen_uri: 127.0.0.1:0
  crowdsec_config:
    scopes: [ip, range, country]
    include_scenarios_containing: [ssh]
    exclude_scenarios_containing: [slow]
    only_include_decisions_from: [crowdsec, lists]
    supported_decisions_types: [BAN]
  blocklists:
    - {format: plain_text, endpoint: /list}
    - {format: plain_text, endpoint: /agg, aggregate: true}
`;
  const { url } = await mirrorWith(t, yaml, [
    cscliAlert('1.2.3.4', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf' }),
    cscliAlert('1.2.3.5', { origin: 'lists', scenario: 'crowdsecurity/ssh-bf', type: 'captcha' }),
    cscliAlert('2.2.2.2', { origin: 'crowdsec', scenario: 'crowdsecurity/http-probing' }),
    cscliAlert('2.2.2.3', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-slow-bf' }),
    cscliAlert('FR', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf', scope: 'Country' }),
    cscliAlert('bob', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf', scope: 'Username' }),
    cscliAlert('3.3.3.3', { scenario: 'ssh manual' }),
    cscliAlert('4.4.4.4', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf', simulated: true }),
    // the same value again, later, as a captcha: the mirror's registry keeps the later one
    cscliAlert('6.6.6.6', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf' }),
    cscliAlert('6.6.6.6', { origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf', type: 'captcha' }),
  ]);
  assert.equal((await get(`${url}/list`)).body, '1.2.3.4\nFR\n');
  assert.equal((await get(`${url}/list?supported_decisions_types=captcha`)).body, '1.2.3.5\n6.6.6.6\n');
  assert.equal((await get(`${url}/agg`)).body, '1.2.3.4/31\n6.6.6.6/32\n');
});

test('a mirror that cannot listen stops the start, saying so', async (t) => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.after(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const dir = tempDir(t);
  const config = testDbConfig(
    dir,
    `api:\n  server:\n    listen_uri: 127.0.0.1:0\nblocklist_mirror:\n  listen_uri: 127.0.0.1:${port}\n  blocklists:\n    - {format: f5, endpoint: /f5}\n`,
  );
  await assert.rejects(startServer(config, pino({ level: 'silent' })), {
    message: `blocklist mirror: listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
  });
});

test('allowlists: lists that apply to a bouncer named crowdsec-blocklist-mirror hide their values', async (t) => {
  const srv = await startTestServer(t, MIRROR);
  const ta = { app: srv.app, db: srv.db } as TestApp;
  await addMachine(ta);
  await pushAlerts(ta, await login(ta), FOUR);
  const key = await addAdminKey(ta);
  // a subscription names an existing bouncer: the mirror's own, registered as any bouncer is
  await addBouncer(ta, 'crowdsec-blocklist-mirror', 'a-mirror-key-0123456789');
  await addBouncer(ta, 'fw');
  const call: AdminCall = async (method, path, payload) => {
    const res = await fetch(`${srv.adminUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    const body = await res.text();
    return { status: res.status, body, json: () => JSON.parse(body) as Record<string, unknown> };
  };
  await makeList(
    call,
    'mirror-only',
    [{ type: 'remediation_component_integration', ids: ['crowdsec-blocklist-mirror'] }],
    ['10.0.0.0/8', '2001:db8::1'],
  );
  await makeList(call, 'someone-else', [{ type: 'remediation_component_integration', ids: ['fw'] }], ['1.2.3.4']);
  assert.equal((await get(`${srv.mirrorUrl}/security/blocklist`)).body, '1.2.3.4\n5.6.7.8\n');
  assert.equal((await get(`${srv.mirrorUrl}/aggregated`)).body, '1.2.3.4/32\n5.6.7.8/32\n');
});

test('tls: HTTPS with the configured certificate; a file that cannot be read stops the start', { skip: !hasOpenssl }, async (t) => {
  const pki = makePki(tempDir(t, 'lapis-pki-'));
  const tls = `  tls: {cert_file: ${pki.path('server-chain.pem')}, key_file: ${pki.path('server-key.pem')}}\n`;
  const { url } = await mirrorWith(t, `${MIRROR}${tls}`, FOUR.slice(0, 1));
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const res = await https(pki, `${url}/security/blocklist`);
  assert.equal(res.status, 200);
  assert.equal(res.body, '1.2.3.4\n');
  const dir = tempDir(t);
  const config = testDbConfig(
    dir,
    `api:\n  server:\n    listen_uri: 127.0.0.1:0\n${MIRROR}  tls: {cert_file: ${dir}/none.pem, key_file: ${dir}/none-key.pem}\n`,
  );
  await assert.rejects(startServer(config, pino({ level: 'silent' })), {
    message: `blocklist mirror: ENOENT: no such file or directory, open '${dir}/none.pem'`,
  });
});
