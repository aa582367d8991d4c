import { join } from 'node:path';

/**
 * On-disk layout of a runc runtime's state directory:
 *
 *   <stateDir>/
 *     skel/                      bottom-most read-only layer of every root: mount points
 *                                (proc, sys, dev, tmp), empty etc/resolv.conf and etc/hosts
 *     resolv.conf                the host's (non-loopback) name servers, bound over /etc/resolv.conf
 *     runc/                      runc --root: runc's own container state
 *     sandboxes/<id>/
 *       sandbox.json             SandboxRecord: what to tear down, written before anything is set up
 *       config.json              the OCI runtime spec
 *       rootfs/                  the overlay mount
 *       container.pid            written by runc once the process runs
 *       runc.log                 runc's log (JSON lines)
 *       hosts                    bound over /etc/hosts: localhost and the sandbox's own name
 */
export interface SandboxRecord {
  id: string;
  dir: string;
  rootfs: string;
  netns: string;
  hostVeth: string;
  address: string;
  cgroup: string;
}

export const RECORD_FILE = 'sandbox.json';

export function stateLayout(stateDir: string) {
  return {
    skel: join(stateDir, 'skel'),
    resolvConf: join(stateDir, 'resolv.conf'),
    runcRoot: join(stateDir, 'runc'),
    sandboxes: join(stateDir, 'sandboxes'),
  };
}
