import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Alert } from '../../src/domain/alert.js';
import type { Decision } from '../../src/domain/decision.js';
import { alertWire, bouncerDecision, bouncerDecisionList, streamBody, streamBodyChunks, tokenResponse } from '../../src/api/wire.js';
import { goString, goTimeString, rfc3339, rfc3339Local } from '../../src/go-format.js';

// Goldens: the exact bytes clients read. Remaining durations are whole, so that they print the same at any precision.
const NOW = Date.UTC(2026, 6, 24, 8, 15, 30, 250);

/** The formatter reads no bounds: a decision's `range` stays null here. */
const dec = (id: number, o: Partial<Decision> = {}): Decision => ({
  id,
  uuid: `0b9c2f7e-${id}`,
  alertId: 1,
  seq: id,
  createdAt: NOW,
  until: NOW + 4 * 3600_000,
  scenario: 'crowdsecurity/ssh-bf',
  type: 'ban',
  scope: 'Ip',
  value: `192.0.2.${id}`,
  origin: 'crowdsec',
  simulated: false,
  range: null,
  ...o,
});

describe('bouncer decisions', () => {
  test('query mode: no uuid, keys in Go order', () =>
    assert.equal(
      bouncerDecision(dec(1), NOW, false),
      '{"duration":"4h0m0s","id":1,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Ip","type":"ban","value":"192.0.2.1"}',
    ));
  test('stream: uuid before value; Go escapes in strings', () =>
    assert.equal(
      bouncerDecision(dec(2, { scenario: 'a<b>&"c"', until: NOW + 90_000 }), NOW, true),
      '{"duration":"1m30s","id":2,"origin":"crowdsec","scenario":"a\\u003cb\\u003e\\u0026\\"c\\"","scope":"Ip","type":"ban","uuid":"0b9c2f7e-2","value":"192.0.2.2"}',
    ));
  test('an ended decision has a negative duration', () =>
    assert.match(bouncerDecision(dec(3, { until: NOW - 5000 }), NOW, false), /^\{"duration":"-5s","id":3,/));
  test('an empty list is null', () => assert.equal(bouncerDecisionList([], NOW, false), 'null'));
  test('a list', () =>
    assert.equal(
      bouncerDecisionList([dec(1, { until: NOW + 1000 }), dec(2, { until: NOW + 2000 })], NOW, false),
      '[{"duration":"1s","id":1,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Ip","type":"ban","value":"192.0.2.1"},' +
        '{"duration":"2s","id":2,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Ip","type":"ban","value":"192.0.2.2"}]',
    ));
});

describe('stream body', () => {
  test('nothing: both null, with upstream’s spaces', () => assert.equal(streamBody([], [], NOW), '{"new": null, "deleted": null}'));
  test('one of each', () =>
    assert.equal(
      streamBody([dec(1, { until: NOW + 1000 })], [dec(2, { until: NOW })], NOW),
      '{"new": [{"duration":"1s","id":1,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Ip","type":"ban","uuid":"0b9c2f7e-1","value":"192.0.2.1"}], ' +
        '"deleted": [{"duration":"0s","id":2,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf","scope":"Ip","type":"ban","uuid":"0b9c2f7e-2","value":"192.0.2.2"}]}',
    ));
  test('chunks of 1000 decisions join into the same body', () => {
    const news = Array.from({ length: 2500 }, (_, i) => dec(i + 1, { value: `10.0.${i >> 8}.${i & 255}` }));
    const chunks = [...streamBodyChunks(news, [], NOW)];
    assert.equal(chunks.length, 7); // '{"new": ', three chunks, ', "deleted": ', 'null', '}'
    const body = JSON.parse(chunks.join('')) as { new: { id: number }[]; deleted: null };
    assert.deepEqual([body.new.length, body.new[0]!.id, body.new[2499]!.id, body.deleted], [2500, 1, 2500, null]);
    assert.equal(chunks.join(''), streamBody(news, [], NOW));
  });
});

describe('Go text forms', () => {
  const strings: [string, string][] = [
    ['plain', '"plain"'],
    ['<script>&', '"\\u003cscript\\u003e\\u0026"'],
    ['quote " backslash \\ newline \n', '"quote \\" backslash \\\\ newline \\n"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['\u0001', '"\\u0001"'],
    ['é', '"é"'],
  ];
  for (const [s, want] of strings) test(`goString(${JSON.stringify(s)})`, () => assert.equal(goString(s), want));
  test('rfc3339: whole seconds, UTC', () => assert.equal(rfc3339(NOW), '2026-07-24T08:15:30Z'));
  test('goTimeString: fraction without trailing zeros', () => {
    assert.equal(goTimeString(NOW), '2026-07-24 08:15:30.25 +0000 UTC');
    assert.equal(goTimeString(NOW - 250), '2026-07-24 08:15:30 +0000 UTC');
  });
  describe('local time, as the token answer gives it', () => {
    const saved = process.env.TZ;
    after(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });
    const zones: [string, string][] = [
      ['UTC', '2026-07-24T08:15:30Z'],
      ['Asia/Kolkata', '2026-07-24T13:45:30+05:30'],
      ['America/New_York', '2026-07-24T04:15:30-04:00'],
    ];
    for (const [zone, want] of zones) {
      test(zone, () => {
        process.env.TZ = zone;
        assert.equal(rfc3339Local(NOW), want);
        assert.equal(JSON.stringify(tokenResponse('t', Math.floor(NOW / 1000))), `{"code":200,"expire":"${want}","token":"t"}`);
      });
    }
  });
});

describe('alerts', () => {
  const base: Alert = {
    id: 7,
    uuid: 'a-7',
    machineId: null,
    createdAt: NOW,
    scenario: 'crowdsecurity/ssh-bf',
    scenarioHash: 'h',
    scenarioVersion: '0.1',
    message: 'Ip 192.0.2.1 performed ssh-bf',
    eventsCount: 6,
    startedAt: NOW - 2000,
    stoppedAt: NOW - 1000,
    capacity: 5,
    leakspeed: '10s',
    simulated: false,
    remediation: false,
    kind: '',
    source: { scope: 'Ip', value: '192.0.2.1', ip: '', range: '', asNumber: '', asName: '', country: '', latitude: 0, longitude: 0 },
    events: [],
    meta: [],
    labels: null,
    decisions: null,
  };
  test('the least an alert holds: nulls, N/A, omitted keys', () =>
    assert.equal(
      JSON.stringify(alertWire(base, NOW)),
      '{"capacity":5,"created_at":"2026-07-24T08:15:30Z","decisions":null,"events":null,"events_count":6,"id":7,"labels":null,' +
        '"leakspeed":"10s","machine_id":"N/A","message":"Ip 192.0.2.1 performed ssh-bf","scenario":"crowdsecurity/ssh-bf",' +
        '"scenario_hash":"h","scenario_version":"0.1","simulated":false,"source":{"scope":"Ip","value":"192.0.2.1"},' +
        '"start_at":"2026-07-24T08:15:28Z","stop_at":"2026-07-24T08:15:29Z","uuid":"a-7"}',
    ));
  test('everything filled in', () =>
    assert.equal(
      JSON.stringify(
        alertWire(
          {
            ...base,
            machineId: 'web-01',
            kind: 'manual',
            remediation: true,
            labels: ['ssh'],
            meta: [{ key: 'service', value: 'ssh' }],
            events: [{ timestamp: NOW, meta: [{ key: 'log_type', value: '' }] }],
            source: {
              ...base.source,
              ip: '192.0.2.1',
              asName: 'Example',
              asNumber: '64496',
              country: 'FR',
              latitude: 48.5,
              longitude: 2.25,
            },
            decisions: [dec(1, { until: NOW + 3600_000 })],
          },
          NOW,
        ),
      ),
      '{"capacity":5,"created_at":"2026-07-24T08:15:30Z","decisions":[{"duration":"1h0m0s","id":1,"origin":"crowdsec",' +
        '"scenario":"crowdsecurity/ssh-bf","scope":"Ip","simulated":false,"type":"ban","value":"192.0.2.1"}],' +
        '"events":[{"meta":[{"key":"log_type"}],"timestamp":"2026-07-24 08:15:30.25 +0000 UTC"}],"events_count":6,"id":7,' +
        '"kind":"manual","labels":["ssh"],"leakspeed":"10s","machine_id":"web-01","message":"Ip 192.0.2.1 performed ssh-bf",' +
        '"meta":[{"key":"service","value":"ssh"}],"remediation":true,"scenario":"crowdsecurity/ssh-bf","scenario_hash":"h",' +
        '"scenario_version":"0.1","simulated":false,"source":{"as_name":"Example","as_number":"64496","cn":"FR","ip":"192.0.2.1",' +
        '"latitude":48.5,"longitude":2.25,"scope":"Ip","value":"192.0.2.1"},"start_at":"2026-07-24T08:15:28Z",' +
        '"stop_at":"2026-07-24T08:15:29Z","uuid":"a-7"}',
    ));
});
