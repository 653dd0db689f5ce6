import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatRange } from '../../src/domain/ip-range.js';
import { failsWith, load } from '../config/helpers.js';
import { startTestServer } from '../helpers/server.js';

const listener = (trusted: string) =>
  `prometheus:\n  enabled: true\n  listen_addr: 127.0.0.1\n  listen_port: 0\n  trusted_ips: ${trusted}\n`;

describe('prometheus.trusted_ips: who may scrape', () => {
  test('a peer outside the ranges gets a 403 with the JSON message, on every path, and no metrics', async (t) => {
    const srv = await startTestServer(t, listener('[10.0.0.0/8, "2001:db8::/32", 192.0.2.7]'));
    for (const path of ['/metrics', '/metrics?x=1', '/other']) {
      const res = await fetch(srv.metricsUrl!.replace('/metrics', path));
      assert.equal(res.status, 403, path);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(await res.text(), '{"message":"access forbidden from this IP (127.0.0.1)"}');
    }
  });

  test('a peer inside a range (an address or a CIDR) is served', async (t) => {
    for (const trusted of ['[10.0.0.0/8, 127.0.0.1]', '[127.0.0.0/8]']) {
      const srv = await startTestServer(t, listener(trusted));
      const res = await fetch(srv.metricsUrl!);
      assert.equal(res.status, 200, trusted);
      assert.match(await res.text(), /^cs_info\{version="[^"]+"\} 1$/m);
      // the ranges guard the door only: the 404 for another path is still a 404
      assert.equal((await fetch(srv.metricsUrl!.replace('/metrics', '/other'))).status, 404);
      await srv.close();
    }
  });

  test('unset or empty: anyone who reaches the listener, as upstream', async (t) => {
    const srv = await startTestServer(t, listener('[]'));
    assert.equal((await fetch(srv.metricsUrl!)).status, 200);
  });

  test('parsed at load; a bad entry is refused with the key named', (t) => {
    const c = load(t, 'prometheus:\n  trusted_ips: [127.0.0.1, 10.0.0.0/8, "::1"]\n');
    assert.deepEqual(c.prometheus.trustedIps.map(formatRange), ['127.0.0.1', '10.0.0.0/8', '::1']);
    assert.deepEqual(load(t, '').prometheus.trustedIps, []);
    failsWith(t, 'prometheus:\n  trusted_ips: [127.0.0.1, localhost]\n', "config: prometheus.trusted_ips: invalid ip address 'localhost'");
    failsWith(
      t,
      'prometheus:\n  trusted_ips: [10.0.0.0/33]\n',
      "config: prometheus.trusted_ips: invalid ip range '10.0.0.0/33': invalid CIDR address: 10.0.0.0/33",
    );
    failsWith(t, 'prometheus:\n  trusted_ips: 127.0.0.1\n', 'config: prometheus.trusted_ips: expected array');
  });
});
