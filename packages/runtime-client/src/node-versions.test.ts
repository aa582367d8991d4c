// The client must run on every Node.js Lambda offers (18, 20, 22, 24): the fixtures again,
// with official binaries of the other majors (this process's Node runs them in fixtures.test).
import { execFileSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { appliesToNode, loadManifest, runFixtureCase } from './testing/fixtures.js';
import { nodeBinary } from './testing/node-versions.js';

const manifest = loadManifest();

for (const major of [18, 22, 24]) {
  describe(`handler fixtures on Node.js ${major}`, () => {
    let bin: { path: string } | { reason: string } = { reason: 'not fetched yet' };
    before(() => {
      bin = nodeBinary(major);
      if ('path' in bin) {
        const version = execFileSync(bin.path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
        if (Number.parseInt(version, 10) !== major) bin = { reason: `cached binary is Node.js ${version}, not ${major}` };
      }
    });
    for (const c of manifest.cases) {
      test(c.name, async (t) => {
        if (!('path' in bin)) return t.skip(bin.reason);
        if (!appliesToNode(c, major)) return t.skip(`case is for Node.js ${c.node}`);
        await runFixtureCase(c, manifest.env, { node: bin.path });
      });
    }
  });
}
