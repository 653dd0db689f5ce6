/** Small HTTP clients for the reliability suites: agents (JWT), bouncers (API key), the admin API. */

export interface Reply {
  status: number;
  text: string;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs?: number;
}

/** One request over keep-alive; network failures (refused, reset, timeout) throw. */
export async function http(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  return { status: res.status, text: await res.text() };
}

export function parse<T>(r: Reply): T {
  return JSON.parse(r.text) as T;
}

/** Requests and failures by kind, for the summaries; the first failures are kept whole. */
export class Traffic {
  readonly requests = new Map<string, number>();
  readonly errors = new Map<string, number>();
  readonly samples: string[] = [];

  /** Runs one request of `kind`; a throw or a status `ok` refuses counts as an error (and is rethrown / returned). */
  async track(kind: string, send: () => Promise<Reply>, ok: (status: number) => boolean = (s) => s < 400): Promise<Reply> {
    this.requests.set(kind, (this.requests.get(kind) ?? 0) + 1);
    try {
      const r = await send();
      if (!ok(r.status)) this.error(kind, String(r.status), r.text);
      return r;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      this.error(kind, e.cause?.code ?? e.name, e.message);
      throw err;
    }
  }

  error(kind: string, what: string, detail = ''): void {
    const key = `${kind} ${what}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    if (this.samples.length < 20) this.samples.push(`${key}: ${detail.slice(0, 300)}`);
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }

  get requestCount(): number {
    let n = 0;
    for (const v of this.requests.values()) n += v;
    return n;
  }
}

const AGENT_UA = 'crowdsec/v1.7.8-linux';
/** Refresh the token in its last minutes, as the upstream client logs in again a minute before expiry. */
const REFRESH_BEFORE_MS = 5 * 60_000;

/**
 * A machine: logs in once and reuses its token from every loop that calls through it; refreshes it
 * (`GET /v1/refresh_token`) near its expiry; logs in again only after a 401. Lapis rate-limits failed logins,
 * so logging in per request would test the limiter, not the server.
 */
export class Agent {
  base = '';
  logins = 0;
  refreshes = 0;
  private token: string | undefined;
  private expiresAt = 0;
  private pending: Promise<void> | undefined;

  constructor(
    readonly machineId: string,
    private readonly password: string,
  ) {}

  /** Forgets the server's address-bound state after a restart; the token stays (the JWT secret is in the data dir). */
  moveTo(base: string): void {
    this.base = base;
  }

  private once(fn: () => Promise<void>): Promise<void> {
    // concurrent loops of one agent share one login
    return (this.pending ??= fn().finally(() => (this.pending = undefined)));
  }

  private async login(): Promise<void> {
    const r = await http(`${this.base}/v1/watchers/login`, {
      method: 'POST',
      headers: { 'user-agent': AGENT_UA },
      body: { machine_id: this.machineId, password: this.password, scenarios: ['lapis/reliability'] },
    });
    if (r.status !== 200) throw new Error(`login ${this.machineId}: ${r.status} ${r.text}`);
    this.adopt(r);
    this.logins++;
  }

  private async refresh(): Promise<void> {
    const r = await http(`${this.base}/v1/refresh_token`, { headers: { authorization: `Bearer ${this.token}`, 'user-agent': AGENT_UA } });
    if (r.status !== 200) return this.login();
    this.adopt(r);
    this.refreshes++;
  }

  private adopt(r: Reply): void {
    const body = parse<{ token: string; expire: string }>(r);
    this.token = body.token;
    this.expiresAt = Date.parse(body.expire);
  }

  async call(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<Reply> {
    if (!this.token) await this.once(() => this.login());
    else if (this.expiresAt - Date.now() < REFRESH_BEFORE_MS) await this.once(() => this.refresh());
    const send = () =>
      http(`${this.base}${path}`, { method, body, timeoutMs, headers: { authorization: `Bearer ${this.token}`, 'user-agent': AGENT_UA } });
    const r = await send();
    if (r.status !== 401) return r;
    const stale = this.token;
    await this.once(async () => {
      if (this.token === stale) await this.login();
    });
    return send();
  }
}

/** A bouncer with an API key. */
export class Bouncer {
  base = '';

  constructor(
    readonly name: string,
    private readonly key: string,
  ) {}

  get(path: string, timeoutMs?: number): Promise<Reply> {
    return http(`${this.base}${path}`, {
      timeoutMs,
      headers: { 'x-api-key': this.key, 'user-agent': 'crowdsec-firewall-bouncer/v0.0.31' },
    });
  }
}

/** The admin API (api.admin.listen_uri) with an admin key. */
export class Admin {
  base = '';

  constructor(private readonly key: string) {}

  call(method: string, path: string, body?: unknown): Promise<Reply> {
    return http(`${this.base}${path}`, { method, body, headers: { 'x-api-key': this.key } });
  }
}
