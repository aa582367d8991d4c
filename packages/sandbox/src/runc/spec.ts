/**
 * The OCI runtime-spec `config.json` for one sandbox, modelled on `runc spec`'s
 * defaults and tightened for Lambda:
 * - root: the overlay we mount on the host beforehand, read-only;
 * - writable /tmp only (tmpfs sized to EphemeralStorage); /dev/shm small;
 * - unprivileged user (Lambda's sbx_user1051, 993:990), no capabilities at all,
 *   no_new_privileges, Lambda's 1024 open files;
 * - own PID, mount, IPC, UTS and network namespaces (the network one prepared by
 *   us and joined by path); limits are on our parent cgroup, see cgroups.ts.
 */
export const LAMBDA_UID = 993;
export const LAMBDA_GID = 990;

export interface OciConfigInput {
  rootfsPath: string;
  args: string[];
  env: string[];
  cwd: string;
  uid?: number;
  gid?: number;
  hostname: string;
  tmpSizeMb: number;
  netnsPath: string;
  cgroupsPath: string;
  /** Host files bind-mounted read-only over existing files of the image (e.g. /etc/resolv.conf). */
  binds?: { source: string; destination: string }[];
}

const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];

const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function buildOciConfig(input: OciConfigInput): Record<string, unknown> {
  const shmMb = Math.max(1, Math.min(64, input.tmpSizeMb));
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: input.uid ?? LAMBDA_UID, gid: input.gid ?? LAMBDA_GID },
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: input.rootfsPath, readonly: true },
    hostname: input.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmMb}m`] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/tmp',
        type: 'tmpfs',
        source: 'tmpfs',
        // owned by the sandbox user: runc copies the mode of the image's /tmp onto the
        // tmpfs, and an image with a 0755 /tmp must not leave the function without one
        options: ['nosuid', 'nodev', 'mode=1777', `size=${input.tmpSizeMb}m`, `uid=${input.uid ?? LAMBDA_UID}`, `gid=${input.gid ?? LAMBDA_GID}`],
      },
      ...(input.binds ?? []).map((b) => ({
        destination: b.destination,
        type: 'bind',
        source: b.source,
        options: ['rbind', 'ro', 'nosuid', 'nodev', 'noexec'],
      })),
    ],
    linux: {
      cgroupsPath: input.cgroupsPath,
      // limits live on the parent cgroup we create; runc only confines devices here
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'network', path: input.netnsPath },
      ],
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
