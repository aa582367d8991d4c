import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Registry passwords handed out by ECR's GetAuthorizationToken: an HMAC-SHA256
 * signed, expiring token (12 hours, like ECR). The registry verifies it on every
 * Basic-authenticated request without storing anything.
 *
 *   token = "ldk1." + base64url(JSON {acct, exp, nonce}) + "." + base64url(HMAC(secret, payload))
 */
export const TOKEN_TTL_MS = 12 * 60 * 60 * 1000;

export class TokenIssuer {
  readonly #secret: Buffer;

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  issue(account: string, ttlMs = TOKEN_TTL_MS): { password: string; expiresAt: number } {
    const exp = this.now() + ttlMs;
    const payload = Buffer.from(JSON.stringify({ acct: account, exp, nonce: randomBytes(8).toString('hex') })).toString('base64url');
    return { password: `ldk1.${payload}.${this.#mac(payload)}`, expiresAt: exp };
  }

  /** True when the token was signed with our secret and has not expired. */
  verify(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== 'ldk1') return false;
    const [, payload, mac] = parts as [string, string, string];
    const want = Buffer.from(this.#mac(payload));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return false;
    try {
      const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp: number };
      return typeof exp === 'number' && exp > this.now();
    } catch {
      return false;
    }
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
