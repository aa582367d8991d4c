/**
 * How errors travel: the Runtime API body (`{errorType, errorMessage, trace}`),
 * the text log form (`\t{...}` with enumerable fields), the X-Ray cause header,
 * and header-safe strings (Node refuses header values outside Latin-1).
 */
import { types } from 'node:util';
import { RuntimeClientError } from './errors.js';

/** The body of `/invocation/{id}/error` and `/init/error`, and the streaming error trailer. */
export interface ErrorResponse {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

function looksLikeError(value: unknown): value is Error {
  if (value === null || typeof value !== 'object') return false;
  const v = value as { name?: unknown; message?: unknown; stack?: unknown };
  return typeof v.name === 'string' && typeof v.message === 'string' && typeof v.stack === 'string';
}

/**
 * Lambda's error body for any thrown value: real errors keep name, message and
 * stack lines; anything else becomes `{errorType: typeof x, errorMessage: String(x), trace: []}`.
 * DEL (0x7F) is escaped as `%7F` as Lambda does, so the body survives log pipelines.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  try {
    if (types.isNativeError(error) || looksLikeError(error)) {
      const e = error as Error;
      return {
        errorType: String(e.name).replaceAll('\x7F', '%7F'),
        errorMessage: String(e.message).replaceAll('\x7F', '%7F'),
        trace: typeof e.stack === 'string' ? e.stack.replaceAll('\x7F', '%7F').split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    // A getter that throws, or an object whose toString throws: say so instead of crashing the runtime.
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

/** Anything thrown, as an Error (strings and other values are wrapped). */
export function intoError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function withEnumerableProperties(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = Object.assign(
      {
        errorType: value.name,
        errorMessage: value.message,
        // System errors' codes (ECONNREFUSED…) help; the runtime's own internal codes do not.
        code: value instanceof RuntimeClientError ? undefined : (value as { code?: unknown }).code,
      } as Record<string, unknown>,
      value,
    );
    if (typeof value.stack === 'string') out.stack = value.stack.split('\n');
    return out;
  }
  return value;
}

/**
 * The text-log form of an error, e.g. the part after `Invoke Error ` in
 * `…\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"boom","stack":[…]}`.
 * Starts with a tab, as Lambda's does.
 */
export function toFormatted(error: unknown): string {
  try {
    return '\t' + JSON.stringify(error, withEnumerableProperties);
  } catch {
    return '\t' + JSON.stringify(toErrorResponse(error));
  }
}

/** X-Ray's `Lambda-Runtime-Function-XRay-Error-Cause` document for an error. */
export function toXRayCause(error: unknown): string {
  try {
    const e = intoError(error);
    const stack: { path: string; line: number; label: string }[] = [];
    const lines = typeof e.stack === 'string' ? e.stack.replaceAll('\x7F', '%7F').split('\n').slice(1) : [];
    for (const raw of lines) {
      let line = raw.trim().replace(/[()]/g, '');
      line = line.substring(line.indexOf(' ') + 1);
      const cut = line.lastIndexOf(' ');
      const label = cut >= 0 ? line.slice(0, cut) : '';
      const where = (label ? line.slice(cut + 1) : line).split(':');
      stack.push({ path: where[0] ?? '', line: Number.parseInt(where[1] ?? '', 10), label: label || 'anonymous' });
    }
    return JSON.stringify({
      working_directory: process.cwd(),
      exceptions: [{ type: String(e.name).replaceAll('\x7F', '%7F'), message: String(e.message).replaceAll('\x7F', '%7F'), stack }],
      paths: [...new Set(stack.map((s) => s.path))],
    });
  } catch {
    return '';
  }
}

/**
 * A string Node will accept as a header or trailer value: anything outside
 * printable ASCII (and tab) is percent-encoded, so a Unicode error name never
 * makes the error report itself fail.
 */
export function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\t\x20-\x7e]/.test(value)) return value;
  // eslint-disable-next-line no-control-regex
  return value.replace(/[^\t\x20-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
}
