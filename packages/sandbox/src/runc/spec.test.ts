import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOciConfig } from './spec.js';
import { parseSubnet } from './network.js';

const base = {
  rootfsPath: '/state/sandboxes/a/rootfs',
  args: ['/lambda-entrypoint.sh', 'app.handler'],
  env: ['PATH=/usr/bin'],
  cwd: '/var/task',
  hostname: 'a',
  tmpSizeMb: 512,
  netnsPath: '/run/netns/ldk-x-a',
  cgroupsPath: '/lambdock/x/a/ctr',
};

test('the OCI config runs the process unprivileged, without capabilities, on a read-only root', () => {
  const c = buildOciConfig(base) as any;
  assert.deepEqual(c.process.user, { uid: 993, gid: 990 });
  for (const set of Object.values(c.process.capabilities)) assert.deepEqual(set, []);
  assert.equal(c.process.noNewPrivileges, true);
  assert.equal(c.root.readonly, true);
  assert.deepEqual(c.process.args, base.args);
  assert.equal(c.process.cwd, '/var/task');
});

test('the OCI config sizes /tmp, joins the prepared network namespace and masks host paths', () => {
  const c = buildOciConfig({ ...base, uid: 1000, gid: 1000 }) as any;
  const tmp = c.mounts.find((m: any) => m.destination === '/tmp');
  assert.ok(tmp.options.includes('size=512m'));
  assert.ok(tmp.options.includes('uid=1000'));
  const ns = Object.fromEntries(c.linux.namespaces.map((n: any) => [n.type, n.path ?? true]));
  assert.deepEqual(ns, { pid: true, ipc: true, uts: true, mount: true, network: '/run/netns/ldk-x-a' });
  assert.ok(c.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(c.linux.readonlyPaths.includes('/proc/sys'));
  assert.equal(c.mounts.find((m: any) => m.destination === '/sys').options.includes('ro'), true);
});

test('subnets parse to a gateway and refuse nonsense', () => {
  assert.deepEqual(parseSubnet('10.88.0.0/16'), { base: 0x0a580000, prefix: 16, gateway: '10.88.0.1', cidr: '10.88.0.0/16' });
  assert.equal(parseSubnet('10.89.3.7/24').gateway, '10.89.3.1');
  assert.throws(() => parseSubnet('10.88.0.0'), /subnet/);
  assert.throws(() => parseSubnet('300.1.1.1/16'), /out of range/);
  assert.throws(() => parseSubnet('10.0.0.0/30'), /out of range/);
});
