import { X509Certificate } from 'node:crypto';
import { TLSSocket, rootCertificates } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/schema.js';
import { CrlChecker } from './tls-crl.js';
import { caCertificates, type TlsSettings, tlsSettings, verifies } from './tls-listener.js';
import { ocspStatus } from './tls-ocsp.js';

export { checkListenerOptions, listenerTlsOptions, servesTls, type TlsSettings, tlsSettings } from './tls-listener.js';

/** A client certificate as presented on one connection. `chain` (leaf first) is set only when verified. */
export interface PeerCertificate {
  leaf: X509Certificate;
  ous: string[];
  cn: string;
  chain: X509Certificate[] | undefined;
  tlsError: string | undefined;
}

export type TlsRole = 'agent' | 'bouncer';
export type TlsVerdict = { cn: string } | { error: string };
type Revocation = { error: string | undefined; cacheable: boolean };

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * What a TlsAuth checks certificates against: the settings, with the CA file and the CRL read. Built by
 * TlsAuth.prepare, which throws on a file that cannot be used, so that a reload (SIGHUP) changes nothing then.
 */
export interface TlsTrust {
  readonly settings: TlsSettings;
  readonly allowed: Record<TlsRole, string[]>;
  readonly anchors: ReadonlyMap<string, X509Certificate[]>;
  readonly anchorPrints: ReadonlySet<string>;
  readonly allAnchors: readonly X509Certificate[];
  readonly crl: CrlChecker | undefined;
}

/**
 * Client-certificate authentication (upstream's TLSAuth, `middlewares/v1/tls_auth.go`): the verified
 * chain, the OU allow-list of the role, the validity dates, then revocation (OCSP, CRL) from a cache
 * keyed by (serial, issuer) that lives `cache_expiration`. One instance serves both roles; what it
 * trusts can be replaced in place (`prepare` then `use`), and the hooks that hold it see the change.
 */
export class TlsAuth {
  private readonly cache = new Map<string, { error: string | undefined; at: number }>();
  private readonly pending = new Map<string, Promise<Revocation>>();
  private peers = new WeakMap<TLSSocket, PeerCertificate | null>();
  /** Bumped by each CRL load and trust change: a check that started before one is not cached after it. */
  private generation = 0;
  private trust: TlsTrust;
  private lastPurge: number;

  constructor(
    settings: TlsSettings,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
    private readonly ocsp: typeof ocspStatus = ocspStatus,
  ) {
    this.lastPurge = now();
    this.trust = this.prepare(settings);
    if (settings.crlPath === '') log.info('no crl_path, skipping CRL checks');
  }

  get settings(): TlsSettings {
    return this.trust.settings;
  }

  /**
   * Reads the CA file and the CRL of `settings` into a trust this instance can `use`; nothing changes yet.
   * Throws the CA and CRL file errors.
   */
  prepare(settings: TlsSettings): TlsTrust {
    const anchors = new Map<string, X509Certificate[]>();
    const anchorPrints = new Set<string>();
    const allAnchors: X509Certificate[] = [];
    const addAnchor = (c: X509Certificate) => {
      anchorPrints.add(c.fingerprint256);
      allAnchors.push(c);
      anchors.set(c.subject, [...(anchors.get(c.subject) ?? []), c]);
    };
    if (verifies(settings.mode)) {
      for (const pem of rootCertificates) addAnchor(new X509Certificate(pem));
      for (const der of caCertificates(settings)) addAnchor(new X509Certificate(der));
    }
    // a CRL file that changes later is re-read by its checker, which then empties this instance's cache
    const crl = settings.crlPath === '' ? undefined : new CrlChecker(settings.crlPath, () => this.forget(), this.log, this.now);
    const allowed = { agent: this.dedupe(settings.agentsAllowedOu), bouncer: this.dedupe(settings.bouncersAllowedOu) };
    return { settings, allowed, anchors, anchorPrints, allAnchors, crl };
  }

  /**
   * Puts a prepared trust in use: the next request is checked against it, on new connections and on those
   * already open (their certificate's chain is worked out again), and no verdict reached before is reused.
   */
  use(trust: TlsTrust): void {
    this.trust = trust;
    this.peers = new WeakMap();
    this.forget();
  }

  private forget(): void {
    this.cache.clear();
    this.generation++;
  }

  private dedupe(ous: string[]): string[] {
    const out: string[] = [];
    for (const ou of ous) {
      if (out.includes(ou)) this.log.warn(`dropping duplicate ou ${ou}`);
      else out.push(ou);
    }
    return out;
  }

  /** The certificate the client presented on this connection (read once per connection), if any. */
  peer(socket: unknown): PeerCertificate | undefined {
    if (!(socket instanceof TLSSocket)) return undefined;
    const known = this.peers.get(socket);
    if (known !== undefined) return known ?? undefined;
    const pc = socket.getPeerCertificate(true);
    let peer: PeerCertificate | null = null;
    if (pc?.raw) {
      const leaf = new X509Certificate(pc.raw);
      const sent: X509Certificate[] = [];
      for (let c = pc.issuerCertificate; c?.raw && sent.length < 10 && !c.raw.equals(sent.at(-1)?.raw ?? pc.raw); c = c.issuerCertificate) {
        sent.push(new X509Certificate(c.raw));
      }
      const authorized = verifies(this.settings.mode) && socket.authorized;
      const err = socket.authorizationError;
      peer = {
        leaf,
        ous: list(pc.subject?.OU),
        cn: list(pc.subject?.CN).at(-1) ?? '',
        chain: authorized ? this.chainOf(leaf, sent) : undefined,
        tlsError: err === null || err === undefined ? undefined : String(err),
      };
    }
    this.peers.set(socket, peer);
    return peer ?? undefined;
  }

  /**
   * A chain from the leaf to one of our anchors, every link's signature checked here. The TLS stack has
   * verified the certificate; it does not say along which chain, and the certificates a client sends
   * are only candidates: a revocation check against a forged "issuer" would check nothing.
   */
  private chainOf(leaf: X509Certificate, sent: X509Certificate[]): X509Certificate[] | undefined {
    const { anchors, anchorPrints, allAnchors } = this.trust;
    const chain = [leaf];
    for (let cur = leaf; chain.length <= 10; ) {
      if (anchorPrints.has(cur.fingerprint256)) return chain;
      // anchors by name first; should the name be written differently, any anchor
      const candidates = [...(anchors.get(cur.issuer) ?? allAnchors), ...sent];
      // an anchor is trusted by configuration (old v1 roots have no CA flag); anything else must be a CA
      const issuer = candidates.find(
        (c) => c !== cur && (anchorPrints.has(c.fingerprint256) || c.ca) && cur.checkIssued(c) && cur.verify(c.publicKey),
      );
      if (!issuer) return undefined;
      chain.push(issuer);
      cur = issuer;
    }
    return undefined;
  }

  /** Validates a presented certificate for a role: the CN, or upstream's reason for refusing it. */
  async validate(peer: PeerCertificate, role: TlsRole): Promise<TlsVerdict> {
    if (!peer.chain) return { error: (verifies(this.settings.mode) && this.datesError(peer.leaf)) || 'no verified cert in request' };
    const { allowed: byRole, crl } = this.trust;
    const allowed = byRole[role];
    if (!peer.ous.some((ou) => allowed.includes(ou))) {
      return { error: `client certificate OU [${peer.ous.join(' ')}] doesn't match expected OU [${allowed.join(' ')}]` };
    }
    const dates = this.datesError(peer.leaf);
    if (dates) return { error: dates };
    crl?.refresh();
    const key = `${peer.leaf.serialNumber}-${peer.leaf.issuer}`;
    const hit = this.cache.get(key);
    if (hit && hit.at + this.settings.cacheMs > this.now()) return hit.error ? { error: `(cache) ${hit.error}` } : { cn: peer.cn };
    // one check at a time per certificate and CRL generation: a burst of first requests asks OCSP once
    const generation = this.generation;
    const pendingKey = `${generation}|${key}`;
    let check = this.pending.get(pendingKey);
    if (!check) {
      check = this.revocation(peer.chain, crl).finally(() => this.pending.delete(pendingKey));
      this.pending.set(pendingKey, check);
    }
    const { error, cacheable } = await check;
    if (cacheable && generation === this.generation) this.remember(key, error);
    return error ? { error } : { cn: peer.cn };
  }

  private datesError(leaf: X509Certificate): string | undefined {
    const t = this.now();
    if (t > Date.parse(leaf.validTo)) return 'client certificate is expired';
    if (t < Date.parse(leaf.validFrom)) return 'client certificate is not yet valid';
    return undefined;
  }

  /**
   * Each non-root link, from the root towards the leaf: OCSP, then the CRL. Unlike upstream, a certificate
   * that names OCSP responders none of which answers is refused (not cached): see docs/compatibility.md.
   */
  private async revocation(chain: X509Certificate[], crl: CrlChecker | undefined): Promise<Revocation> {
    for (let i = chain.length - 1; i > 0; i--) {
      const [cert, issuer] = [chain[i - 1]!, chain[i]!];
      const ocsp = await this.ocsp(cert, issuer, this.log);
      if (ocsp === 'revoked') return { error: 'certificate revoked by OCSP', cacheable: true };
      if (crl?.isRevokedBy(cert, issuer)) return { error: 'certificate revoked by CRL', cacheable: true };
      if (ocsp === 'no-answer') return { error: 'certificate revocation status unknown: no OCSP responder answered', cacheable: false };
    }
    return { error: undefined, cacheable: true };
  }

  private remember(key: string, error: string | undefined): void {
    const t = this.now();
    if (t - this.lastPurge > this.settings.cacheMs || this.cache.size > 10_000) {
      for (const [k, v] of this.cache) if (v.at + this.settings.cacheMs <= t) this.cache.delete(k);
      this.lastPurge = t;
    }
    this.cache.set(key, { error, at: t });
  }
}

/**
 * The TlsAuth of a config (one per runtime: bouncer routes and login share it), or undefined when
 * `api.server.tls` is absent. Throws the CRL and CA file errors, so that they fail startup.
 */
export function openTlsAuth(config: Config, log: FastifyBaseLogger): TlsAuth | undefined {
  const s = tlsSettings(config);
  return s && new TlsAuth(s, log.child({ component: 'tls-auth' }));
}
