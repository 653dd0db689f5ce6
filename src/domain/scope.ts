/** As upstream's types.NormalizeScope: four scopes have a canonical case, every other one is kept verbatim. */
const CANONICAL: Record<string, string> = { ip: 'Ip', range: 'Range', as: 'AS', country: 'Country' };

export function normalizeScope(scope: string): string {
  return CANONICAL[scope.toLowerCase()] ?? scope;
}

/** Whether decisions of this scope carry IP bounds (upstream fills them for `ip`/`range` in any case). */
export function isIpScope(scope: string): boolean {
  const s = scope.toLowerCase();
  return s === 'ip' || s === 'range';
}
