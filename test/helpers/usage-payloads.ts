/**
 * Usage-metrics pushes byte for byte as the clients send them, written from their code:
 * cs-firewall-bouncer (pkg/metrics/metrics.go's MetricsUpdater over go-cs-bouncer's metricsPayload, serialized
 * by crowdsec's pkg/models: fields in declaration order, `log_processors` null, labels sorted) and a crowdsec
 * agent (cmd/crowdsec/lpmetrics.go).
 */

type Labels = Record<string, string>;
export type Item = [name: string, unit: string, value: number, labels?: Labels];

function items(list: readonly Item[]): unknown[] {
  // Go's encoding/json sorts map keys: the labels come out sorted whatever order the bouncer built them in
  return list.map(([name, unit, value, labels]) => ({
    ...(labels ? { labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
    name,
    unit,
    value,
  }));
}

/** One push of cs-firewall-bouncer (one window: `window_size_seconds` is its interval, 900 s by default). */
export function firewallBouncerPush(at: number, list: readonly Item[], startup = 1784980000): string {
  return JSON.stringify({
    log_processors: null,
    remediation_components: [
      {
        feature_flags: [],
        metrics: [{ items: items(list), meta: { utc_now_timestamp: at, window_size_seconds: 900 } }],
        os: { family: 'debian', name: 'debian', version: '12' },
        utc_startup_timestamp: startup,
        version: 'v0.0.31-debian-pragmatic-amd64',
        type: 'crowdsec-firewall-bouncer',
      },
    ],
  });
}

/** The nftables backend's series for one window: active IPs (absolute), dropped and processed (deltas). */
export function firewallWindow(v: {
  active: [capi4: number, capi6: number, crowdsec4: number];
  droppedBytes: [capi4: number, crowdsec4: number];
  droppedPackets: [capi4: number, crowdsec4: number];
  processedBytes: [v4: number, v6: number];
  processedPackets: [v4: number, v6: number];
}): Item[] {
  // as prometheus.Gather() returns them: families by name, series by label values
  return [
    ['active_decisions', 'ip', v.active[0], { origin: 'CAPI', ip_type: 'ipv4' }],
    ['active_decisions', 'ip', v.active[1], { origin: 'CAPI', ip_type: 'ipv6' }],
    ['active_decisions', 'ip', v.active[2], { origin: 'crowdsec', ip_type: 'ipv4' }],
    ['dropped', 'byte', v.droppedBytes[0], { origin: 'CAPI', ip_type: 'ipv4' }],
    ['dropped', 'byte', v.droppedBytes[1], { origin: 'crowdsec', ip_type: 'ipv4' }],
    ['dropped', 'packet', v.droppedPackets[0], { origin: 'CAPI', ip_type: 'ipv4' }],
    ['dropped', 'packet', v.droppedPackets[1], { origin: 'crowdsec', ip_type: 'ipv4' }],
    ['processed', 'byte', v.processedBytes[0], { ip_type: 'ipv4' }],
    ['processed', 'byte', v.processedBytes[1], { ip_type: 'ipv6' }],
    ['processed', 'packet', v.processedPackets[0], { ip_type: 'ipv4' }],
    ['processed', 'packet', v.processedPackets[1], { ip_type: 'ipv6' }],
  ];
}

/** A crowdsec agent's push: acquisition and parser items for one file source. */
export function agentPush(at: number, read: number, parsed: number, unparsed: number): string {
  const src = { acquis_type: 'tail', datasource_type: 'file', source: '/var/log/auth.log' };
  return JSON.stringify({
    log_processors: [
      {
        feature_flags: ['re2_grok_support'],
        metrics: [
          {
            items: items([
              ['read', 'line', read, src],
              ['parsed', 'line', parsed, { ...src, parser_name: 'crowdsecurity/sshd-logs', parser_stage: 's01-parse' }],
              ['unparsed', 'line', unparsed, { ...src, parser_name: 'crowdsecurity/sshd-logs', parser_stage: 's01-parse' }],
              ['global_parsed', 'line', parsed, src],
              ['global_unparsed', 'line', unparsed, src],
            ]),
            meta: { utc_now_timestamp: at, window_size_seconds: 1800 },
          },
        ],
        os: { name: 'debian', version: '12' },
        utc_startup_timestamp: 1784980000,
        version: 'v1.7.8-debian-pragmatic-amd64',
        datasources: { file: 1 },
        hub_items: { parsers: [{ name: 'crowdsecurity/sshd-logs', status: 'enabled', version: '3.0' }] },
      },
    ],
    remediation_components: null,
  });
}
