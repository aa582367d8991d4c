import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

/** The CNCF reference registry (Debian's docker-registry, distribution 2.8). */
export const REFERENCE_REGISTRY = '/usr/bin/docker-registry';

export interface ReferenceRegistry {
  /** `127.0.0.1:<port>`, usable in image references. */
  host: string;
  dir: string;
  stop(): Promise<void>;
}

export type RegistryAuthConfig =
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; certPath: string };

/**
 * Starts the reference registry on an ephemeral loopback port with a fresh storage
 * directory; `stop()` kills it and removes the directory.
 */
export async function startReferenceRegistry(opts: { auth?: RegistryAuthConfig } = {}): Promise<ReferenceRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-refreg-'));
  let auth = '';
  if (opts.auth?.kind === 'htpasswd') {
    const lines = Object.entries(opts.auth.users).map(([u, p]) => execFileSync('htpasswd', ['-Bbn', u, p], { encoding: 'utf8' }).trim());
    writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n');
    auth = `auth:\n  htpasswd:\n    realm: test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (opts.auth?.kind === 'token') {
    const a = opts.auth;
    auth = `auth:\n  token:\n    realm: ${a.realm}\n    service: ${a.service}\n    issuer: ${a.issuer}\n    rootcertbundle: ${a.certPath}\n`;
  }
  const config = `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
${auth}`;
  writeFileSync(join(dir, 'config.yml'), config);
  const child = spawn(REFERENCE_REGISTRY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const host = await new Promise<string>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start:\n${log}`)), 15_000);
    const onData = (b: Buffer): void => {
      log += b.toString();
      const m = /listening on (127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code}:\n${log}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    host,
    dir,
    stop: async () => {
      await killChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Every token request the server answered: the scopes asked for and whether credentials were accepted. */
  requests: { scopes: string[]; user?: string; granted: boolean }[];
  stop(): Promise<void>;
}

/**
 * A minimal token server for the registry's bearer flow (distribution's token spec):
 * checks Basic credentials, grants the requested scopes to `users`, signs an RS256 JWT
 * whose `x5c` header carries the certificate the registry is configured to trust.
 */
export async function startTokenServer(users: Record<string, string>, opts: { anonymousPull?: boolean } = {}): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lambdock-token-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=lambdock-test-token'], { stdio: 'ignore' });
  const key = readFileSync(keyPath, 'utf8');
  const certDer = Buffer.from(
    readFileSync(certPath, 'utf8')
      .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
      .replace(/\s+/g, ''),
    'base64',
  );
  const service = 'lambdock-test-registry';
  const issuer = 'lambdock-test-issuer';
  const requests: TokenServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    let user: string | undefined;
    const h = req.headers.authorization;
    if (h?.startsWith('Basic ')) {
      const [u, p] = Buffer.from(h.slice(6), 'base64').toString().split(':');
      if (u === undefined || users[u] !== p) {
        requests.push({ scopes, user: u, granted: false });
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'bad credentials' }));
        return;
      }
      user = u;
    }
    const access = scopes.flatMap((s) => {
      const parts = s.split(':');
      if (parts.length < 3 || parts[0] !== 'repository') return [];
      const actions = parts[parts.length - 1]!.split(',');
      const name = parts.slice(1, -1).join(':');
      const allowed = user ? actions : opts.anonymousPull ? actions.filter((a) => a === 'pull') : [];
      return allowed.length ? [{ type: 'repository', name, actions: allowed }] : [];
    });
    requests.push({ scopes, user, granted: true });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: user ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const signingInput = `${b64(header)}.${b64(claims)}`;
    const sig = createSign('RSA-SHA256').update(signingInput).sign(key).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${signingInput}.${sig}`, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
