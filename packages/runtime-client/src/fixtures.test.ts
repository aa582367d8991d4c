// Every handler fixture, run by the built client as a child process against a raw Runtime API.
import { describe, test } from 'node:test';
import { NODE_MAJOR } from './handler-loader.js';
import { appliesToNode, loadManifest, runFixtureCase } from './testing/fixtures.js';

const manifest = loadManifest();

describe(`handler fixtures on this Node.js (${process.versions.node})`, () => {
  for (const c of manifest.cases) {
    const skip = appliesToNode(c, NODE_MAJOR) ? false : `case is for Node.js ${c.node}`;
    test(c.name, { skip }, async () => {
      await runFixtureCase(c, manifest.env);
    });
  }
});
