import type { IncomingMessage } from 'node:http';
import { DistributionError } from '../distribution/errors.js';
import { safeEqual, type TokenIssuer } from './tokens.js';

export type AuthConfig = { mode: 'open-loopback' } | { mode: 'required'; secret: string; users?: Record<string, string> };

/**
 * Registry (docker) authentication. In open-loopback mode everything is allowed
 * (the server refuses to bind anywhere but loopback then). In required mode a
 * request needs Basic credentials: user "AWS" with a valid ECR token, or a
 * configured user's password. Without them: 401 + WWW-Authenticate: Basic, which is
 * what makes `docker login` send the credentials.
 */
export function createBasicAuth(auth: AuthConfig, tokens: TokenIssuer, realm: string): (req: IncomingMessage) => void {
  if (auth.mode === 'open-loopback') return () => undefined;
  const users = auth.users ?? {};
  const challenge = { 'WWW-Authenticate': `Basic realm="${realm}",service="ecr.amazonaws.com"` };
  return (req) => {
    const header = req.headers.authorization;
    if (!header || !/^basic /i.test(header)) {
      throw new DistributionError('UNAUTHORIZED', 'authentication required: aws ecr get-login-password | docker login --username AWS --password-stdin', {
        headers: challenge,
      });
    }
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
    const pass = colon >= 0 ? decoded.slice(colon + 1) : '';
    const ok = (user === 'AWS' && tokens.verify(pass)) || (Object.hasOwn(users, user) && safeEqual(users[user]!, pass));
    if (!ok) {
      throw new DistributionError('UNAUTHORIZED', 'invalid or expired credentials: log in again with aws ecr get-login-password', { headers: challenge });
    }
  };
}
