import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RuncRuntime } from '@lambdock/sandbox';
import { BUSYBOX, REGISTRY_BIN } from '@lambdock/platform/testing';
import { AWS_CLI, commandExists } from './system.js';

/**
 * Why the platform tests built on `@lambdock/platform/testing` (runc sandboxes, the reference
 * registry, busybox images) and the AWS CLI cannot run here, or false when they can.
 */
export async function platformFixtureUnavailable(work: string): Promise<string | false> {
  mkdirSync(work, { recursive: true });
  const check = await new RuncRuntime({ stateDir: join(work, 'probe'), runtimeApiPort: 0 }).check();
  if (!check.ok) return check.reason;
  if (!commandExists(AWS_CLI)) return 'AWS CLI v2 not installed at /usr/bin/aws';
  if (!existsSync(REGISTRY_BIN)) return 'docker-registry not installed';
  if (!BUSYBOX) return 'static busybox not installed';
  return false;
}
