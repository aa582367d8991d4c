/**
 * The OCI runtime-spec `config.json` for one sandbox, modelled on `runc spec`'s
 * defaults and tightened for Lambda:
 * - root: the overlay we mount on the host beforehand, read-only;
 * - writable /tmp only (tmpfs sized to EphemeralStorage); /dev/shm small;
 * - unprivileged user (Lambda's sbx_user1051, 993:990), no capabilities at all,
 *   no_new_privileges, Lambda's 1024 open files;
 * - a seccomp deny-list (see SECCOMP below) on top of the missing capabilities;
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
  /** Node's process.arch naming; picks the seccomp architectures. Default: this process's. */
  arch?: string;
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

/**
 * Without capabilities most privileged calls fail anyway; these are the ones an
 * unprivileged process can still use to widen the kernel surface it reaches — user
 * namespaces above all (unshare/setns/clone with CLONE_NEWUSER), plus keyrings, BPF,
 * perf, userfaultfd and io_uring, as Docker's default profile does. Everything else is
 * allowed: the allow-list profiles of container engines are long and runtime-specific.
 * clone3 answers ENOSYS so libc falls back to clone, whose flags seccomp can check.
 */
const DENIED_SYSCALLS = [
  'unshare', 'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'mount_setattr', 'move_mount', 'open_tree',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open',
  'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'ptrace', 'process_vm_readv',
  'process_vm_writev', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  'reboot', 'swapon', 'swapoff', 'acct', 'open_by_handle_at', 'name_to_handle_at', 'lookup_dcookie',
  'quotactl', 'settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex', 'iopl', 'ioperm', 'syslog',
  'vhangup', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl',
];
/** CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET */
const CLONE_NS_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

function seccompProfile(arch: string): Record<string, unknown> {
  const architectures = arch === 'arm64' ? ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] : ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures,
    syscalls: [
      { names: DENIED_SYSCALLS, action: 'SCMP_ACT_ERRNO', errnoRet: 1 /* EPERM */ },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 /* ENOSYS */ },
      // clone's flags are its first argument on x86_64 and arm64; one rule per flag (rules OR, args AND)
      ...CLONE_NS_FLAGS.map((flag) => ({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      })),
    ],
  };
}

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
      seccomp: seccompProfile(input.arch ?? process.arch),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
