import { LambdockError } from '@lambdock/common';
import { DigestInvalidError, parseDigest } from './digest.js';

/**
 * Image references as Docker and the distribution spec write them:
 *
 *   reference  ::= [registry "/"] repository [":" tag] ["@" digest]
 *   registry   ::= host [":" port]   (first path component containing "." or ":" or equal to "localhost")
 *   repository ::= component ("/" component)*   component ::= [a-z0-9]+(([._]|__|-+)[a-z0-9]+)*
 *   tag        ::= [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * Without a registry the reference means Docker Hub (`docker.io`, and single-component
 * names live under `library/`), exactly as `docker pull` reads it.
 */
export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export class ReferenceInvalidError extends LambdockError {
  constructor(message: string, reference: string) {
    super('REFERENCE_INVALID', message, { details: { reference } });
  }
}

export const DOCKER_HUB = 'docker.io';
const componentGrammar = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagGrammar = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const hostGrammar = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;

export function isValidRepository(name: string): boolean {
  return name.length > 0 && name.length <= 255 && name.split('/').every((c) => componentGrammar.test(c));
}

export function isValidTag(tag: string): boolean {
  return tagGrammar.test(tag);
}

/**
 * Parses `[registry/]repository[:tag][@digest]`. When neither tag nor digest is given
 * the tag is `latest`, as docker assumes.
 */
export function parseReference(ref: string): ImageReference {
  const fail = (what: string): never => {
    throw new ReferenceInvalidError(`invalid image reference "${ref}": ${what}`, ref);
  };
  if (typeof ref !== 'string' || ref === '') fail('empty');
  if (ref.length > 4096) fail('too long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch (err) {
      if (err instanceof DigestInvalidError) fail(err.message);
      throw err;
    }
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      if (!hostGrammar.test(first)) fail(`registry "${first}" is not a valid host[:port]`);
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) fail(`tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  let repository = rest;
  if (repository === '') fail('missing repository name');
  if (repository !== repository.toLowerCase()) fail(`repository "${repository}" must be lowercase`);
  for (const c of repository.split('/')) {
    if (!componentGrammar.test(c)) fail(`repository path component "${c}" must match [a-z0-9]+(([._]|__|-+)[a-z0-9]+)*`);
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (repository.length > 255) fail('repository name longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  const out: ImageReference = { registry, repository };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** `registry/repository[:tag][@digest]`, the canonical long form. */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}
