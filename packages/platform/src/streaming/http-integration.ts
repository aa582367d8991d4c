import type { Readable } from 'node:stream';

/** Content type a runtime sets when a streamed response starts with an HTTP prelude (awslambda.HttpResponseStream). */
export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);
const MAX_PRELUDE = 64 * 1024;

/**
 * Reads a streamed http-integration response: a JSON prelude (statusCode, headers,
 * cookies), eight NUL bytes, then the body. Resolves with the prelude and whatever body
 * bytes arrived with it; the rest is still in `body` for the caller to pipe on, so
 * nothing is buffered beyond the prelude.
 */
export function readPrelude(body: Readable): Promise<{ prelude: Record<string, unknown> | undefined; rest: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const done = (v: { prelude: Record<string, unknown> | undefined; rest: Buffer; ended: boolean }): void => {
      body.off('data', onData).off('end', onEnd).off('error', onError);
      body.pause();
      resolve(v);
    };
    const onData = (c: Buffer): void => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      const at = buf.indexOf(DELIMITER);
      if (at !== -1) {
        let prelude: Record<string, unknown> | undefined;
        try {
          const p = JSON.parse(buf.subarray(0, at).toString('utf8')) as unknown;
          if (p && typeof p === 'object' && !Array.isArray(p)) prelude = p as Record<string, unknown>;
        } catch {
          prelude = undefined;
        }
        done({ prelude, rest: buf.subarray(at + DELIMITER.length), ended: false });
      } else if (buf.length > MAX_PRELUDE) done({ prelude: undefined, rest: buf, ended: false });
    };
    const onEnd = (): void => done({ prelude: undefined, rest: buf, ended: true });
    const onError = (err: Error): void => {
      body.off('data', onData).off('end', onEnd).off('error', onError);
      reject(err);
    };
    body.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
