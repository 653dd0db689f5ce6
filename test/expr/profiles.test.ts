import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile, ExprRuntimeError, runBool } from '../../src/expr/index.js';

/** An Alert shaped like CrowdSec's models.Alert as profiles see it: fields plus Get* methods. */
class AlertStub {
  Remediation: boolean;
  Simulated = false;
  Scenario = 'crowdsecurity/ssh-bf';
  Source: { Scope: string; Value: string; Range: string };
  Events: { Meta: { Key: string; Value: string }[] }[];
  Meta: { Key: string; Value: string }[] = [{ Key: 'service', Value: 'ssh' }];
  EventsCount = 6;

  constructor(scope: string, value: string, remediation = true) {
    this.Remediation = remediation;
    this.Source = { Scope: scope, Value: value, Range: '' };
    this.Events = [{ Meta: [{ Key: 'source_ip', Value: value }] }, { Meta: [{ Key: 'source_ip', Value: value }] }];
  }

  GetScope(): string {
    return this.Source.Scope;
  }

  GetValue(): string {
    return this.Source.Value;
  }

  GetScenario(): string {
    return this.Scenario;
  }

  GetEventsCount(): number {
    return this.EventsCount;
  }

  GetSources(): string[] {
    return [this.Source.Value];
  }

  GetMeta(key: string): string {
    return this.Meta.find((m) => m.Key === key)?.Value ?? '';
  }

  get Kind(): string {
    return 'alert';
  }
}

const IP_FILTER = 'Alert.Remediation == true && Alert.GetScope() == "Ip"';
const RANGE_FILTER = 'Alert.Remediation == true && Alert.GetScope() == "Range"';
const ESCALATION = "Sprintf('%dh', (GetDecisionsCount(Alert.GetValue()) + 1) * 4)";

describe('the default profiles.yaml filters', () => {
  const cases: [alert: AlertStub, ip: boolean, range: boolean][] = [
    [new AlertStub('Ip', '1.2.3.4'), true, false],
    [new AlertStub('Range', '1.2.3.0/24'), false, true],
    [new AlertStub('Ip', '1.2.3.4', false), false, false],
    [new AlertStub('Country', 'FR'), false, false],
  ];
  const ip = compile(IP_FILTER);
  const range = compile(RANGE_FILTER);
  for (const [alert, wantIp, wantRange] of cases) {
    test(`${alert.GetScope()} remediation=${alert.Remediation}`, () => {
      assert.equal(ip.runBool({ Alert: alert }), wantIp);
      assert.equal(runBool(range, { Alert: alert }), wantRange);
    });
  }
});

describe('duration_expr escalation', () => {
  const expr = compile(ESCALATION);
  const cases: [count: number, expected: string][] = [
    [0, '4h'],
    [1, '8h'],
    [2, '12h'],
  ];
  for (const [count, expected] of cases) {
    test(`${count} earlier decisions → ${expected}`, () => {
      const seen: unknown[] = [];
      const GetDecisionsCount = (value: unknown): number => {
        seen.push(value);
        return count;
      };
      const env = { Alert: new AlertStub('Ip', '1.2.3.4'), GetDecisionsCount };
      assert.equal(expr.run(env), expected);
      assert.equal(expr.runString(env), expected);
      assert.deepEqual(seen, ['1.2.3.4', '1.2.3.4']);
    });
  }

  test('the other DB helpers are plain env functions', () => {
    const calls: unknown[][] = [];
    const env = {
      Alert: new AlertStub('Ip', '1.2.3.4'),
      GetDecisionsSinceCount: (...args: unknown[]) => {
        calls.push(args);
        return 3;
      },
      GetActiveDecisionsCount: (...args: unknown[]) => {
        calls.push(args);
        return 0;
      },
      GetActiveDecisionsTimeLeft: (...args: unknown[]) => {
        calls.push(args);
        return '3h59m';
      },
    };
    const src =
      'GetDecisionsSinceCount(Alert.GetValue(), "1h") > 2 && GetActiveDecisionsCount(Alert.GetValue()) == 0 ? GetActiveDecisionsTimeLeft(Alert.GetValue()) : "none"';
    assert.equal(compile(src).run(env), '3h59m');
    assert.deepEqual(calls, [['1.2.3.4', '1h'], ['1.2.3.4'], ['1.2.3.4']]);
  });
});

describe('method calls and fields on an Alert-like object', () => {
  const alert = new AlertStub('Ip', '1.2.3.4');
  const cases: [string, unknown][] = [
    ['Alert.GetScope()', 'Ip'],
    ['Alert.GetValue()', '1.2.3.4'],
    ['Alert.GetScenario()', 'crowdsecurity/ssh-bf'],
    ['Alert.GetEventsCount()', 6],
    ['Alert.GetSources()', ['1.2.3.4']],
    ['Alert.GetMeta("service")', 'ssh'],
    ['Alert.GetMeta("nope")', ''],
    ['Alert.Remediation', true],
    ['Alert.Source.Value', '1.2.3.4'],
    ['Alert.Source["Scope"]', 'Ip'],
    ['Alert.Kind', 'alert'],
    ['len(Alert.Events)', 2],
    ['Alert.Events[0].Meta[0].Key', 'source_ip'],
    ['Alert.Meta[0].Value == "ssh"', true],
    ['Alert.GetScenario() startsWith "crowdsecurity/"', true],
    ['Alert.GetScenario() in ["crowdsecurity/ssh-bf", "x"]', true],
    ['Alert.GetEventsCount() > 5 and Alert.GetScope() == "Ip"', true],
    ['all(Alert.Events, {len(.Meta) == 1})', true],
    ['"Remediation" in Alert', true],
    ['"GetScope" in Alert', false],
    ['Alert?.Source?.Value', '1.2.3.4'],
  ];
  for (const [src, expected] of cases) {
    test(src, () => assert.deepEqual(compile(src).run({ Alert: alert }), expected));
  }

  test('methods of a plain object are called with `this` bound', () => {
    const plain = {
      Source: { Scope: 'Range' },
      GetScope(this: { Source: { Scope: string } }) {
        return this.Source.Scope;
      },
    };
    assert.equal(compile('Alert.GetScope()').run({ Alert: plain }), 'Range');
  });

  test('field names are case-sensitive', () => {
    assert.throws(() => compile('Alert.remediation').run({ Alert: alert }), { reason: 'cannot fetch remediation from *AlertStub' });
  });

  test('host functions receive plain numbers, never engine boxes', () => {
    const seen: unknown[] = [];
    compile('Echo(4 / 2, [1.0], 2.5)').run({ Echo: (...args: unknown[]) => seen.push(...args) });
    assert.deepEqual(seen, [2, [1], 2.5]);
  });
});

describe('runBool, runString', () => {
  test('runBool passes booleans through', () => {
    assert.equal(compile('1 < 2').runBool({}), true);
    assert.equal(runBool(compile('1 > 2'), {}), false);
  });

  const nonBool: [string, string][] = [
    ['1', 'expected a bool, got int (1)'],
    ['nil', 'expected a bool, got <nil> (<nil>)'],
    ['"true"', 'expected a bool, got string (true)'],
    ['4 / 2', 'expected a bool, got float64 (2)'],
  ];
  for (const [src, reason] of nonBool) {
    test(`runBool(${src}) fails`, () => {
      assert.throws(
        () => runBool(compile(src), {}),
        (err: unknown) => err instanceof ExprRuntimeError && err.reason === reason && err.line === 1 && err.column === 1,
      );
    });
  }

  const strings: [string, string][] = [
    ['"4h"', '4h'],
    ['4 / 2', '2'],
    ['1000000', '1000000'],
    ['1e6', '1e+06'],
    ['1.5', '1.5'],
    ['nil', '<nil>'],
    ['[1, "a"]', '[1 a]'],
    ['true', 'true'],
  ];
  for (const [src, expected] of strings) {
    test(`runString(${src}) = ${expected}`, () => assert.equal(compile(src).runString({}), expected));
  }

  test('a compiled expression is reusable across envs', () => {
    const expr = compile('x * 2');
    assert.equal(expr.run({ x: 2 }), 4);
    assert.equal(expr.run({ x: 5 }), 10);
    assert.equal(expr.source, 'x * 2');
  });
});
