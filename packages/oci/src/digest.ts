import { createHash, type Hash } from 'node:crypto';
import { LambdockError } from '@lambdock/common';

/**
 * Content digests as the OCI image spec defines them (descriptor.md#digests):
 *
 *   digest    ::= algorithm ":" encoded
 *   algorithm ::= component (separator component)*   component ::= [a-z0-9]+   separator ::= [+._-]
 *   encoded   ::= [a-zA-Z0-9=_-]+
 *
 * Only the registered algorithms sha256 (64 lowercase hex) and sha512 (128 lowercase hex)
 * are accepted: a digest we cannot verify is as bad as a wrong one.
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  encoded: string;
}

/** A string that is not a usable digest; the message says which part is wrong. */
export class DigestInvalidError extends LambdockError {
  constructor(message: string, digest: string) {
    super('DIGEST_INVALID', message, { details: { digest } });
  }
}

const algorithmGrammar = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*$/;
const encodedGrammar = /^[a-zA-Z0-9=_-]+$/;
const encodedLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export function isDigestAlgorithm(s: string): s is DigestAlgorithm {
  return s === 'sha256' || s === 'sha512';
}

export function parseDigest(s: string): ParsedDigest {
  if (typeof s !== 'string') throw new DigestInvalidError(`digest must be a string, got ${typeof s}`, String(s));
  const shown = s.length > 200 ? `${s.slice(0, 200)}…` : s;
  const colon = s.indexOf(':');
  if (colon < 0) throw new DigestInvalidError(`invalid digest "${shown}": missing ":" between algorithm and encoded part`, s);
  const algorithm = s.slice(0, colon);
  const encoded = s.slice(colon + 1);
  if (algorithm === '') throw new DigestInvalidError(`invalid digest "${shown}": empty algorithm`, s);
  if (!algorithmGrammar.test(algorithm)) {
    throw new DigestInvalidError(`invalid digest "${shown}": algorithm "${algorithm}" must match [a-z0-9]+([+._-][a-z0-9]+)*`, s);
  }
  if (encoded === '') throw new DigestInvalidError(`invalid digest "${shown}": empty encoded part`, s);
  if (!encodedGrammar.test(encoded)) {
    throw new DigestInvalidError(`invalid digest "${shown}": encoded part may only contain [a-zA-Z0-9=_-]`, s);
  }
  if (!isDigestAlgorithm(algorithm)) {
    throw new DigestInvalidError(`unsupported digest algorithm "${algorithm}" in "${shown}": only sha256 and sha512 are supported`, s);
  }
  const want = encodedLength[algorithm];
  if (encoded.length !== want) {
    throw new DigestInvalidError(`invalid ${algorithm} digest "${shown}": encoded part has ${encoded.length} characters, expected ${want}`, s);
  }
  if (!/^[a-f0-9]+$/.test(encoded)) {
    throw new DigestInvalidError(`invalid ${algorithm} digest "${shown}": encoded part must be lowercase hex [a-f0-9]`, s);
  }
  return { algorithm, encoded };
}

export function isDigest(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

export function digestBytes(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Incremental digest over a stream of chunks; `size` counts the bytes seen. */
export interface Digester {
  readonly algorithm: DigestAlgorithm;
  readonly size: number;
  update(chunk: Uint8Array): void;
  /** The digest of everything seen so far; may be called more than once. */
  digest(): string;
}

export function createDigester(algorithm: DigestAlgorithm = 'sha256'): Digester {
  const hash: Hash = createHash(algorithm);
  let size = 0;
  return {
    algorithm,
    get size() {
      return size;
    },
    update(chunk) {
      hash.update(chunk);
      size += chunk.byteLength;
    },
    digest() {
      return `${algorithm}:${hash.copy().digest('hex')}`;
    },
  };
}

/** The algorithm of a valid digest (throws DigestInvalidError otherwise). */
export function digestAlgorithm(digest: string): DigestAlgorithm {
  return parseDigest(digest).algorithm;
}
