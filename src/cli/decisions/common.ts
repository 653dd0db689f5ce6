import type { NewAlert, NewDecision } from '../../domain/alert.js';
import { IpParseError, parseCidr, parseIp, parseIpOrRange, type IpRange } from '../../domain/ip-range.js';
import { isIpScope, normalizeScope } from '../../domain/scope.js';
import { CliError } from '../context.js';

/** `parse(text)`, its IpParseError turned into the CliError `TEXT is not a valid WHAT`. */
function parseOrRefuse(parse: (text: string) => IpRange, text: string, what: string): IpRange {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof IpParseError) throw new CliError(`${text} is not a valid ${what}`);
    throw err;
  }
}

/** What `-i`, `-r` or `--scope`/`--value` designate, validated as cscli does. */
export function target(
  ip: string | undefined,
  range: string | undefined,
  scope: string | undefined,
  value: string | undefined,
): { scope: string; value: string; range: IpRange | null } {
  if (ip !== undefined) return { scope: 'Ip', value: ip, range: parseOrRefuse(parseIp, ip, 'ip') };
  if (range !== undefined) return { scope: 'Range', value: range, range: parseOrRefuse(parseCidr, range, 'range') };
  if (value === undefined || value === '')
    throw new CliError('missing arguments, a value is required (--ip, --range or --scope and --value)');
  const s = normalizeScope(scope ?? 'Ip');
  return { scope: s, value, range: isIpScope(s) ? parseIpOrRange(value) : null };
}

/** An alert shaped like the ones cscli writes for manual decisions (as cmd/crowdsec-cli/clidecision/decisions.go). */
export function manualAlert(
  scenario: string,
  message: string,
  source: { scope: string; value: string },
  decisions: NewDecision[],
  now: number,
  eventsCount = 1,
): NewAlert {
  return {
    scenario,
    scenarioHash: '',
    scenarioVersion: '',
    message,
    eventsCount,
    startedAt: now,
    stoppedAt: now,
    capacity: 0,
    leakspeed: '0',
    simulated: false,
    remediation: true,
    kind: 'cscli',
    source: {
      scope: source.scope,
      value: source.value,
      ip: source.scope === 'Ip' ? source.value : '',
      range: source.scope === 'Range' ? source.value : '',
      asNumber: '',
      asName: '',
      country: '',
      latitude: 0,
      longitude: 0,
    },
    events: [],
    meta: [],
    labels: null,
    decisions,
  };
}
