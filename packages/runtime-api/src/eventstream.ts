import { crc32 } from 'node:zlib';

/**
 * AWS event stream framing (application/vnd.amazon.eventstream), as InvokeWithResponseStream
 * answers: each message is
 *
 *   total length (u32) | headers length (u32) | prelude CRC32 (u32) | headers | payload | message CRC32 (u32)
 *
 * with string headers encoded as name length (u8), name, type 7, value length (u16), value.
 */
export function encodeEventStreamMessage(headers: Readonly<Record<string, string>>, payload: Buffer): Buffer {
  const parts: Buffer[] = [];
  let headersLength = 0;
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const h = Buffer.allocUnsafe(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(7, 1 + n.length);
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    parts.push(h);
    headersLength += h.length;
  }
  const total = 12 + headersLength + payload.length + 4;
  const msg = Buffer.allocUnsafe(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(headersLength, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
  let off = 12;
  for (const h of parts) off += h.copy(msg, off);
  off += payload.copy(msg, off);
  msg.writeUInt32BE(crc32(msg.subarray(0, off)), off);
  return msg;
}

/** One `PayloadChunk` event of InvokeWithResponseStream: bytes of the function's response. */
export function payloadChunkEvent(payload: Buffer): Buffer {
  return encodeEventStreamMessage({ ':event-type': 'PayloadChunk', ':content-type': 'application/octet-stream', ':message-type': 'event' }, payload);
}

/** The closing `InvokeComplete` event; ErrorCode/ErrorDetails only when the function failed. */
export function invokeCompleteEvent(c: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string } = {}): Buffer {
  return encodeEventStreamMessage({ ':event-type': 'InvokeComplete', ':content-type': 'application/json', ':message-type': 'event' }, Buffer.from(JSON.stringify(c)));
}
