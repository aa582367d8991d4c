import { EventStreamCodec } from '@smithy/eventstream-codec';

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

function event(type: string, contentType: string, body: Uint8Array): Buffer {
  const msg = codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: contentType },
      ':message-type': { type: 'string', value: 'event' },
    },
    body,
  });
  return Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
}

/** One `PayloadChunk` event of InvokeWithResponseStream (application/vnd.amazon.eventstream). */
export function payloadChunk(bytes: Uint8Array): Buffer {
  return event('PayloadChunk', 'application/octet-stream', bytes);
}

/** The closing `InvokeComplete` event; ErrorCode/ErrorDetails only when the function failed. */
export function invokeComplete(c: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string }): Buffer {
  return event('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(c), 'utf8'));
}
