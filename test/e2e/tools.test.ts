import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AWS_CLI, commandExists, dockerAvailable, sh } from '../support/system.js';

// The system tools the suite relies on are present after scripts/ensure-system.sh.
test('AWS CLI v2 is installed at /usr/bin/aws', { skip: !commandExists(AWS_CLI) && 'awscli not installed (run scripts/ensure-system.sh as root)' }, () => {
  assert.match(sh(AWS_CLI, ['--version']), /^aws-cli\/2\./);
});

test('a Docker engine answers', { skip: !commandExists('dockerd') && 'docker.io not installed' }, () => {
  assert.ok(dockerAvailable(), 'dockerd is installed but does not answer; see /var/log/lambdock-dockerd.log');
});

test('runc is installed', { skip: !commandExists('runc') && 'runc not installed' }, () => {
  assert.match(sh('runc', ['--version']), /runc version/);
});
