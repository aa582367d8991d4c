import { RegistryProtocolError, UnauthorizedError, registryErrorFromResponse } from './errors.js';
import { readBody, type HttpTransport } from './http.js';

export interface Credentials {
  username: string;
  password: string;
}

/** One parsed `WWW-Authenticate` challenge (RFC 7235; the registry token flow's parameters). */
export interface Challenge {
  scheme: string; // lower-case: 'basic' | 'bearer' | ...
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header. Parameter values may be quoted and contain
 * commas (`scope="repository:a:pull,push"`), so this is a small tokenizer rather
 * than a split on commas.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = (): void => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < s.length) {
    skipWs();
    while (s[i] === ',') {
      i++;
      skipWs();
    }
    const scheme = token();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skipWs();
      const save = i;
      const name = token();
      skipWs();
      if (!name || s[i] !== '=') {
        // Either the end, or the next challenge's scheme: rewind and let the outer loop take it.
        i = save;
        break;
      }
      i++; // '='
      skipWs();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++; // closing quote
      } else {
        // Unquoted: a token by the RFC, but some servers send bare URLs; take up to the next comma.
        const start = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
        value = s.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = value;
      skipWs();
      if (s[i] === ',') i++;
    }
  }
  return out;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * Authentication state for one registry: which scheme it asked for, and bearer
 * tokens cached per scope set (a token for `repository:a:pull` does not grant push).
 * Flow: send without credentials (or with what the last challenge taught us); on 401
 * read the challenge, fetch a token from its realm for the scopes the operation
 * needs, resend once.
 */
export class RegistryAuth {
  #challenge: Challenge | undefined;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<CachedToken>>();

  constructor(
    private readonly transport: HttpTransport,
    private readonly credentials: () => Credentials | undefined,
  ) {}

  /** The Authorization header for a request needing `scopes`, if the registry's scheme is known. */
  async header(scopes: readonly string[]): Promise<string | undefined> {
    const ch = this.#challenge;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      const c = this.credentials();
      return c ? basic(c) : undefined;
    }
    if (ch.scheme === 'bearer') {
      const key = scopeKey(scopes);
      const cached = this.#tokens.get(key);
      if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
      const t = await this.#fetchToken(ch, scopes);
      return `Bearer ${t.token}`;
    }
    return undefined;
  }

  /**
   * Learns from a 401 challenge. Returns true when resending with the new state can
   * succeed (a scheme we speak, and not the very header that was just refused).
   */
  async challenged(wwwAuthenticate: string | undefined, scopes: readonly string[], sentHeader: string | undefined): Promise<boolean> {
    if (!wwwAuthenticate) return false;
    const challenges = parseChallenges(wwwAuthenticate);
    const ch = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!ch) return false;
    this.#challenge = ch;
    if (ch.scheme === 'basic') {
      const c = this.credentials();
      return c !== undefined && sentHeader !== basic(c);
    }
    // Bearer: the challenge may name a broader scope than ours (e.g. for a mount); ask for both.
    const wanted = mergeScopes(scopes, ch.params['scope'] ? [ch.params['scope']] : []);
    const key = scopeKey(scopes);
    const old = this.#tokens.get(key);
    if (old && sentHeader === `Bearer ${old.token}`) this.#tokens.delete(key);
    else if (sentHeader?.startsWith('Bearer ')) return false; // a fresh token was refused
    const t = await this.#fetchToken(ch, wanted, key);
    return sentHeader !== `Bearer ${t.token}`;
  }

  #fetchToken(ch: Challenge, scopes: readonly string[], key = scopeKey(scopes)): Promise<CachedToken> {
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const p = this.#requestToken(ch, scopes).then(
      (t) => {
        this.#tokens.set(key, t);
        this.#pending.delete(key);
        return t;
      },
      (err: unknown) => {
        this.#pending.delete(key);
        throw err;
      },
    );
    this.#pending.set(key, p);
    return p;
  }

  async #requestToken(ch: Challenge, scopes: readonly string[]): Promise<CachedToken> {
    const realm = ch.params['realm'];
    if (!realm) throw new RegistryProtocolError('bearer challenge without a realm', { challenge: ch.params });
    const url = new URL(realm);
    if (ch.params['service']) url.searchParams.set('service', ch.params['service']);
    for (const s of scopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    const c = this.credentials();
    if (c) headers['authorization'] = basic(c);
    const res = await this.transport.send({ method: 'GET', url, headers });
    const body = await readBody(res.body, 1024 * 1024);
    if (res.status === 401 || res.status === 403) {
      throw new UnauthorizedError('UNAUTHORIZED', `token server ${url.origin} refused ${c ? `credentials for ${c.username}` : 'anonymous access'} (HTTP ${res.status})`, {
        status: res.status,
        url: url.origin + url.pathname,
      });
    }
    if (res.status !== 200) throw registryErrorFromResponse(res.status, body, { method: 'GET', url: url.origin + url.pathname, what: 'token' });
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw new RegistryProtocolError(`token server ${url.origin} answered non-JSON`);
    }
    const token = typeof doc.token === 'string' ? doc.token : typeof doc.access_token === 'string' ? doc.access_token : undefined;
    if (!token) throw new RegistryProtocolError(`token server ${url.origin} answered without a token`);
    // The spec's default lifetime is 60 s; renew a little early so a request never carries a dead token.
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60;
    return { token, expiresAt: Date.now() + Math.max(1, seconds - 10) * 1000 };
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function scopeKey(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

/** Merges `repository:x:pull` + `repository:x:push` into `repository:x:pull,push`. */
export function mergeScopes(a: readonly string[], b: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const s of [...a, ...b]) {
    const idx = s.lastIndexOf(':');
    if (idx < 0) continue;
    const resource = s.slice(0, idx);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const act of s.slice(idx + 1).split(',')) if (act) actions.add(act);
    byResource.set(resource, actions);
  }
  return [...byResource].map(([r, acts]) => `${r}:${[...acts].sort().join(',')}`).sort();
}
