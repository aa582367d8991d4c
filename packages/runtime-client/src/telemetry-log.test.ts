// Lambda hands its runtimes a telemetry fd (`_LAMBDA_TELEMETRY_LOG_FD`): console records then go
// there as binary frames (type | level bits, length, µs timestamp, bytes) instead of stdout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Readable } from 'node:stream';
import { CLIENT_ENTRY, FIXTURES_DIR } from './testing/fixtures.js';
import { RuntimeApiStub } from './testing/runtime-api-stub.js';

interface Frame {
  type: number;
  micros: bigint;
  text: string;
}

function parseFrames(buf: Buffer): Frame[] {
  const frames: Frame[] = [];
  for (let at = 0; at + 16 <= buf.length; ) {
    const len = buf.readInt32BE(at + 4);
    frames.push({ type: buf.readUInt32BE(at), micros: buf.readBigInt64BE(at + 8), text: buf.toString('utf8', at + 16, at + 16 + len) });
    at += 16 + len;
  }
  return frames;
}

async function runWithTelemetryFd(format: 'TEXT' | 'JSON'): Promise<{ frames: Frame[]; stdout: string; requestId: string }> {
  const stub = await RuntimeApiStub.start();
  const root = join(FIXTURES_DIR, 'logging');
  const child = spawn(process.execPath, [CLIENT_ENTRY], {
    cwd: root,
    env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: stub.address, _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: root, _LAMBDA_TELEMETRY_LOG_FD: '3', AWS_LAMBDA_LOG_FORMAT: format },
    stdio: ['ignore', 'pipe', 'inherit', 'pipe'],
  });
  const parts: Buffer[] = [];
  (child.stdio[3] as Readable).on('data', (c: Buffer) => parts.push(c));
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const closed = new Promise((r) => child.on('close', r));
  try {
    const { requestId, report } = stub.invoke({ body: '{}' });
    const r = await report;
    assert.equal(r.body.toString(), '"logged"');
    await new Promise((res) => setTimeout(res, 50));
    return { frames: parseFrames(Buffer.concat(parts)), stdout, requestId };
  } finally {
    child.kill('SIGKILL');
    await closed;
    await stub.close();
  }
}

describe('telemetry log fd', () => {
  test('text records are framed with level bits and a microsecond timestamp, none on stdout', async () => {
    const before = BigInt(Date.now()) * 1000n;
    const { frames, stdout, requestId } = await runWithTelemetryFd('TEXT');
    assert.equal(stdout, '');
    const hello = frames.find((f) => f.text.includes('hello'));
    assert.ok(hello, 'hello record');
    assert.equal(hello.type, (0xa55a0003 | 0b01100) >>> 0, 'text frame, INFO bits');
    assert.match(hello.text, new RegExp(`^\\d{4}-.+Z\\t${requestId}\\tINFO\\thello\\nworld\\n$`), 'newlines kept inside one frame');
    assert.ok(hello.micros >= before - 1_000_000n && hello.micros <= BigInt(Date.now()) * 1000n);
    const warn = frames.find((f) => f.text.includes('careful'));
    assert.equal(warn?.type, (0xa55a0003 | 0b10000) >>> 0, 'WARN bits');
  });

  test('JSON records use the JSON frame type', async () => {
    const { frames, requestId } = await runWithTelemetryFd('JSON');
    const err = frames.find((f) => f.text.includes('logged error'));
    assert.ok(err);
    assert.equal(err.type, (0xa55a0002 | 0b10100) >>> 0, 'JSON frame, ERROR bits');
    const rec = JSON.parse(err.text) as { level: string; requestId: string };
    assert.equal(rec.level, 'ERROR');
    assert.equal(rec.requestId, requestId);
  });
});
