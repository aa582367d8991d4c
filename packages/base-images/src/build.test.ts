import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBaseImages, defaultCacheDir, selectImages } from './build.js';
import { listBaseImages } from './catalog.js';
import { UnknownBaseImageError } from './errors.js';

const tools = ['apt-get', 'apt-cache', 'dpkg-deb'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

test('the catalog names AWS-like images and aliases', () => {
  const names = listBaseImages().map((i) => `${i.name}:${i.tag}`);
  assert.deepEqual(names, ['nodejs:18', 'nodejs:20', 'nodejs:22', 'nodejs:24', 'python:3.11', 'provided:latest']);
  assert.deepEqual(selectImages(['nodejs:latest']).map((i) => i.tag), ['22']);
  assert.deepEqual(selectImages(['lambdock/python']).map((i) => i.tag), ['3.11']);
  assert.throws(() => selectImages(['ruby:3.2']), (e: unknown) => e instanceof UnknownBaseImageError && /unknown base image 'ruby:3.2'; known: nodejs:18/.test(e.message));
});

test('building python:3.11 twice from scratch gives the same manifest digest', { skip: tools ? false : 'apt-get/dpkg-deb not available (not Debian)', timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lambdock-repro-'));
  try {
    // A stand-in for the emulator binary: this test is about the OS and Python layers and the image documents.
    const sea = join(dir, 'sea');
    await writeFile(sea, '#!/bin/sh\necho emulator\n', { mode: 0o755 });
    const opts = { images: ['python:3.11'], cacheDir: defaultCacheDir(), layerCache: false, artifacts: { emulatorSea: sea } };
    const a = await buildBaseImages({ ...opts, output: join(dir, 'a') });
    const b = await buildBaseImages({ ...opts, output: join(dir, 'b') });
    assert.equal(a[0]!.manifestDigest, b[0]!.manifestDigest);
    assert.deepEqual(a[0]!.layers.map((l) => l.id), ['os', 'rie-sea', 'python-3.11', 'runtime-python']);
    // the layout names the image and records what went into it
    const index = JSON.parse(await readFile(join(dir, 'a', 'index.json'), 'utf8'));
    const names = index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']).sort();
    assert.deepEqual(names, ['lambdock/python:3.11', 'lambdock/python:latest']);
    const manifest = JSON.parse(await readFile(join(dir, 'a', 'blobs', 'sha256', a[0]!.manifestDigest.slice(7)), 'utf8'));
    const config = JSON.parse(await readFile(join(dir, 'a', 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8'));
    assert.match(config.config.Labels['dev.lambdock.debian.python-3.11'], /python3\.11-minimal=3\.11\.\d+-\S+/);
    assert.match(config.config.Labels['dev.lambdock.debian.os'], /libc6=2\.36-/);
    assert.equal(config.created, '1980-01-01T00:00:00Z');
    assert.deepEqual(config.config.Cmd, ['app.lambda_handler']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
