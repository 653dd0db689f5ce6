import { InvalidValueError } from '../errors.js';
import { CidrAggregator, compareRanges } from './cidr.js';
import { routerOsString } from './integration-formats.js';
import { formatRange, ipOrRangeOrNull, type IpRange } from './ip-range.js';

/**
 * cs-blocklist-mirror's answers, byte for byte (reference service-api-blocklists-integrations.md §6.3–6.4):
 * which decisions an endpoint serves for a query, and the four formats it writes them in. Pure: the listener
 * (api/mirror/) hands in the decisions, with their remaining durations already written as Go does.
 */

export const MIRROR_FORMATS = ['plain_text', 'mikrotik', 'f5', 'juniper'] as const;
export type MirrorFormat = (typeof MIRROR_FORMATS)[number];

export function isMirrorFormat(s: string): s is MirrorFormat {
  return (MIRROR_FORMATS as readonly string[]).includes(s);
}

/** A decision as the mirror holds it: LAPI's stream fields, `duration` a Go duration string. */
export interface MirrorDecision {
  readonly value: string;
  readonly scope: string;
  readonly type: string;
  readonly origin: string;
  readonly scenario: string;
  readonly duration: string;
}

/** The query parameters the mirror reads. The flags count when present, whatever their value. */
export interface MirrorQuery {
  readonly ipv4only: boolean;
  readonly ipv6only: boolean;
  /** Compared without case; present but empty matches only an empty origin, as upstream. */
  readonly origin: string | undefined;
  /** `supported_decisions_types`, when given: it replaces the configured list. */
  readonly types: readonly string[] | undefined;
  readonly nosort: boolean;
  /** mikrotik's address list, `CrowdSec` unless given. */
  readonly listname: string;
}

/**
 * A list name goes into the RouterOS script twice, once unquoted, and upstream inserts it as it comes. We take
 * only names that cannot change the script; anything else is refused rather than written (a difference).
 */
const LIST_NAME = /^[A-Za-z0-9_.:@+-]+$/;

/** Types as a comma list or repeated (`a,b` or `a&…=b`), trimmed, empty items dropped. */
function typeList(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Reads the mirror's query parameters; an unusable `listname` is an InvalidValueError (field `listname`). */
export function parseMirrorQuery(q: URLSearchParams): MirrorQuery {
  const listname = q.get('listname') || 'CrowdSec';
  if (!LIST_NAME.test(listname)) {
    throw new InvalidValueError(`listname: '${listname}' is not a usable address-list name (letters, digits and _ . : @ + - only)`, {
      field: 'listname',
    });
  }
  return {
    ipv4only: q.has('ipv4only'),
    ipv6only: q.has('ipv6only'),
    origin: q.has('origin') ? (q.get('origin') ?? '') : undefined,
    types: q.has('supported_decisions_types') ? typeList(q.getAll('supported_decisions_types')) : undefined,
    nosort: q.has('nosort'),
    listname,
  };
}

/**
 * What the mirror holds after pulling `decisions` in order: one decision per value, a later one replacing an
 * earlier one whatever its type or scope (its registry is keyed by value alone).
 */
export function mirrorRegistry(decisions: Iterable<MirrorDecision>): MirrorDecision[] {
  const byValue = new Map<string, MirrorDecision>();
  for (const d of decisions) byValue.set(d.value, d);
  return [...byValue.values()];
}

/** Go's `<` on strings compares bytes: the same as UTF-16 order except around surrogates, which IP values never hold. */
const byValue = (a: MirrorDecision, b: MirrorDecision) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0);

/** ipv4only and ipv6only test characters, not families: `::ffff:1.2.3.4` and `FR` pass both ways, as upstream. */
function familyOk(q: MirrorQuery, value: string): boolean {
  return !(q.ipv6only && value.includes('.')) && !(q.ipv4only && value.includes(':'));
}

function sorted(q: MirrorQuery, list: MirrorDecision[]): MirrorDecision[] {
  return q.nosort ? list : list.sort(byValue);
}

/**
 * The decisions an endpoint serves, from the registry: the family flags, `origin=`, the decision types (the
 * query's list, else `configuredTypes`; empty means every type; compared without case), then sorted by value
 * as plain strings (`10.0.0.0/24` before `5.6.7.8`) unless `nosort` (then the registry's order). Empty means 404.
 */
export function selectMirrorDecisions(
  registry: readonly MirrorDecision[],
  q: MirrorQuery,
  configuredTypes: readonly string[],
): MirrorDecision[] {
  const types = new Set((q.types ?? configuredTypes).map((t) => t.toLowerCase()));
  const origin = q.origin?.toLowerCase();
  return sorted(
    q,
    registry.filter(
      (d) =>
        familyOk(q, d.value) &&
        (origin === undefined || d.origin.toLowerCase() === origin) &&
        (types.size === 0 || types.has(d.type.toLowerCase())),
    ),
  );
}

/**
 * The `aggregate: true` view: every IP or range value of the registry merged into the fewest CIDR blocks
 * (IPv4 and IPv6 apart, a lone address as /32 or /128), each a `range` decision with scenario `aggregated`
 * and duration `24h`. Values that are not addresses (a country) have no place in it. The type and origin
 * filters do not apply to this view; the family flags and the order do.
 */
export function aggregateMirrorDecisions(registry: readonly MirrorDecision[], q: MirrorQuery): MirrorDecision[] {
  const ranges: IpRange[] = [];
  for (const d of registry) {
    const r = ipOrRangeOrNull(d.value);
    if (r) ranges.push(r);
  }
  ranges.sort(compareRanges);
  const agg = new CidrAggregator();
  const blocks = ranges.flatMap((r) => agg.push(r)).concat(agg.end());
  const out: MirrorDecision[] = [];
  for (const b of blocks) {
    const text = formatRange(b);
    const value = text.includes('/') ? text : `${text}/${b.prefix}`;
    if (familyOk(q, value)) out.push({ value, scope: 'range', type: 'ban', origin: '', scenario: 'aggregated', duration: '24h' });
  }
  return sorted(q, out);
}

function plainText(list: readonly MirrorDecision[]): string {
  return list.map((d) => `${d.value}\n`).join('');
}

/**
 * `value,mask,bl,category`: the category is the scenario's second `/`-separated part when it has a `/`
 * (`crowdsecurity/ssh-bf` → `ssh-bf`), else the whole scenario. An IPv6 address gets mask 64 (upstream's
 * quirk). Scopes other than ip and range write nothing.
 */
function f5(list: readonly MirrorDecision[]): string {
  let out = '';
  for (const d of list) {
    const category = d.scenario.includes('/') ? d.scenario.split('/')[1]! : d.scenario;
    const scope = d.scope.toLowerCase();
    if (scope === 'ip') out += `${d.value},${d.value.includes(':') ? 64 : 32},bl,${category}\n`;
    else if (scope === 'range') {
      const [addr, mask] = d.value.split('/');
      // a range value always has its prefix in Lapis; upstream would fail on one without
      out += `${addr},${mask ?? (d.value.includes(':') ? 128 : 32)},bl,${category}\n`;
    }
  }
  return out;
}

/** An address gets `/32` or `/128`, a range is written as it is, other scopes write nothing. */
function juniper(list: readonly MirrorDecision[]): string {
  let out = '';
  for (const d of list) {
    const scope = d.scope.toLowerCase();
    if (scope === 'ip') out += `${d.value}${d.value.includes(':') ? '/128' : '/32'}\n`;
    else if (scope === 'range') out += `${d.value}\n`;
  }
  return out;
}

function routerOsBlock(menu: 'ip' | 'ipv6', fn: string, list: string): string {
  return (
    `\n/${menu}/firewall/address-list/remove [ find where list="${list}" ];\n` +
    `:global ${fn};\n` +
    `:set ${fn} do={\n` +
    `    :do { /${menu}/firewall/address-list/add list=${list} address=$1 comment="$2" timeout=$3; } on-error={ }\n` +
    '}\n'
  );
}

/**
 * The RouterOS script: a function per family that adds one address, a call per decision (IPv6 when the value
 * has a `:`), then the functions unset. It starts with an empty line and has no final line break, as
 * upstream's template renders. The quoted values are RouterOS-escaped: upstream inserts them raw, so a
 * scenario holding `"` would end its string; for every other scenario the bytes are the same.
 */
function mikrotik(list: readonly MirrorDecision[], q: MirrorQuery): string {
  const v4 = 'CrowdSecAddIP';
  const v6 = 'CrowdSecAddIPv6';
  let out = '';
  if (!q.ipv6only) out += routerOsBlock('ip', v4, q.listname);
  if (!q.ipv4only) out += routerOsBlock('ipv6', v6, q.listname);
  for (const d of list) {
    const fn = d.value.includes(':') ? v6 : v4;
    out += `$${fn} "${routerOsString(d.value)}" "${routerOsString(d.scenario)}" "${routerOsString(d.duration)}"\n`;
  }
  if (!q.ipv6only) out += `\n:set ${v4};`;
  if (!q.ipv4only) out += `\n:set ${v6};`;
  return out;
}

/** The body of an endpoint in `format` for the selected decisions (never called with none: that is a 404). */
export function formatMirror(format: MirrorFormat, list: readonly MirrorDecision[], q: MirrorQuery): string {
  switch (format) {
    case 'plain_text':
      return plainText(list);
    case 'f5':
      return f5(list);
    case 'juniper':
      return juniper(list);
    case 'mikrotik':
      return mikrotik(list, q);
  }
}
