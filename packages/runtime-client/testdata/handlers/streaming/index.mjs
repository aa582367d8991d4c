import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The first chunk must reach the Runtime API before the handler writes the second.
export const chunks = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('first,');
  await sleep(event.gapMs ?? 400);
  responseStream.write('second');
  responseStream.end();
});

// Function-URL style: prelude with status, headers, cookies, then the body.
export const http = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { 'x-fixture': 'yes' },
    cookies: ['a=b'],
  });
  stream.write('hello');
  stream.end();
});

export const contentType = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain');
  responseStream.end('plain text');
});

export const piped = awslambda.streamifyResponse(async (event, responseStream) => {
  await pipeline(Readable.from(['one ', 'two ', 'three']), responseStream);
});

// Fails after the first bytes: the error travels in the trailers.
export const midError = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial');
  await sleep(20);
  throw new Error('stream broke');
});

// Returns without ending the stream.
export const unfinished = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('dangling');
});

// A huge error after the first bytes: the trailers must stay within header limits.
export const hugeError = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write('partial');
  throw new Error('big: ' + 'y'.repeat(100000));
});
