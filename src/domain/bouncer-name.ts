/**
 * The name a bouncer was registered under. When a key is used from a new IP, upstream auto-creates a bouncer
 * `NAME@IP` (and `CN@IP` for TLS); that bouncer is `NAME` for allowlist subscriptions, and a further
 * auto-created one is `NAME@IP2`, never `NAME@IP@IP2`: everything from the first `@` on is dropped.
 */
export function baseName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}
