import { InvalidValueError } from '../errors.js';
import { formatAddress, formatRange, type IpRange } from './ip-range.js';

/**
 * The lines a firewall integration's `/content` serves, one per entry, per `output_format` of the console's
 * Service API (reference service-api-blocklists-integrations.md §4.1). Upstream publishes examples, not code:
 * what the examples do not show is a choice, written beside it here and in docs/compatibility.md.
 */

/** Every `output_format` an integration may have (§3.1), in the spec's order. */
export const OUTPUT_FORMATS = [
  'plain_text',
  'f5',
  'remediation_component',
  'fortigate',
  'paloalto',
  'checkpoint',
  'cisco',
  'juniper',
  'mikrotik',
  'pfsense',
  'opnsense',
  'sophos',
] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The vendors whose pages say "this integration uses the plain text format". */
const PLAIN: ReadonlySet<OutputFormat> = new Set([
  'plain_text',
  'fortigate',
  'paloalto',
  'cisco',
  'juniper',
  'pfsense',
  'opnsense',
  'sophos',
]);

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s);
}

/**
 * The integration name inside one CSV field (F5, Check Point), which neither format quotes: a separator,
 * a quote or a control character (a line break would start a forged entry) becomes `_`.
 */
function csvField(name: string): string {
  return name.replace(/[,"\p{Cc}\u2028\u2029]/gu, '_');
}

const ROUTEROS_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text inside a RouterOS double-quoted string: `"`, `\`, `$` (variable substitution) and `?` are
 * backslash-escaped, line breaks and other control characters written as RouterOS's `\n`, `\r`, `\t` or
 * `\HH` escapes, so that nothing in a name can end the string or the command.
 */
export function routerOsString(s: string): string {
  return s.replace(/["\\$?\p{Cc}]/gu, (c) => {
    if (ROUTEROS_ESCAPES[c] !== undefined) return ROUTEROS_ESCAPES[c];
    const code = c.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? `\\${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\${c}`;
  });
}

const single = (r: IpRange) => r.prefix === r.size * 8;

/**
 * Check Point's IoC feed CSV (sk132193: `UNIQ-NAME,VALUE,TYPE,CONFIDENCE,SEVERITY,PRODUCT,COMMENT`). The
 * console's example shows only the constants (`high,high,AB`). Our rule: UNIQ-NAME is `crowdsec-<n>`, n the
 * entry's 1-based position in the answer (unique within one feed, which is all Check Point asks); a single
 * address is TYPE `IP`, a CIDR is TYPE `IP Range` with VALUE `first-last`, the form Check Point's IoC feeds
 * take for ranges (they have no CIDR type); COMMENT is `crowdsec <integration name>`.
 */
function checkpoint(r: IpRange, position: number, name: string): string {
  const first = formatAddress(r.size, r.start);
  const value = single(r) ? first : `${first}-${formatAddress(r.size, r.end)}`;
  return `crowdsec-${position},${value},${single(r) ? 'IP' : 'IP Range'},high,high,AB,crowdsec ${csvField(name)}`;
}

/**
 * One entry's line in an integration's format, without its line break (the caller ends every line with `\n`).
 * `position` is the entry's 1-based place in the answer (Check Point's unique names), `name` the integration's.
 * Throws InvalidValueError (field `output_format`) for `remediation_component`, which is served as a
 * decision stream, not as lines, and for a format that is not one of OUTPUT_FORMATS.
 */
export function integrationLine(format: OutputFormat, entry: IpRange, position: number, name: string): string {
  if (PLAIN.has(format)) return formatRange(entry);
  switch (format) {
    // `IP,mask,BL,category`: the mask is the prefix, 32 or 128 for a single address (the mirror's f5 writes 64
    // for an IPv6 address; the console's example is IPv4 only, so the exact mask is our choice)
    case 'f5':
      return `${formatAddress(entry.size, entry.start)},${entry.prefix},BL,crowdsec-${csvField(name)}`;
    case 'checkpoint':
      return checkpoint(entry, position, name);
    // the console's docs write `/ip6` for IPv6, a menu RouterOS does not have: its IPv6 menu is `/ipv6`
    case 'mikrotik':
      return `/${entry.size === 4 ? 'ip' : 'ipv6'} firewall address-list add list=crowdsec-integration address=${formatRange(entry)} comment="crowdsec/${routerOsString(name)}" timeout=48h;`;
    default: {
      const why = format === 'remediation_component' ? 'has no line format: it is served as a decision stream' : 'is unknown';
      throw new InvalidValueError(`output_format '${format}' ${why}`, { field: 'output_format' });
    }
  }
}
