import type { Tree } from './tree.js';

/**
 * What dpkg's maintainer scripts and debootstrap would have created, written directly
 * (no scripts run while assembling, so the result depends only on package contents).
 */
export function addSystemFiles(tree: Tree, entrypoint: Buffer, busyboxApplets: string[]): void {
  // merged /usr, as bookworm's debootstrap lays it out
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) tree.symlink(d, `usr/${d}`, true);
  tree.dir('usr/lib64');
  tree.symlink('usr/lib64/ld-linux-x86-64.so.2', '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', true);
  for (const d of ['etc', 'root', 'home', 'opt', 'usr/local/bin', 'usr/local/lib', 'var/lib', 'var/cache', 'var/log', 'var/task', 'var/runtime', 'var/lang/bin', 'var/lang/lib', 'dev', 'proc', 'sys', 'run']) tree.dir(d);
  tree.dir('root', 0o700);
  tree.dir('tmp', 0o1777);
  tree.dir('var/tmp', 0o1777);

  // Users: root, and the sandbox user AWS's base images define (uid 993), nobody.
  tree.file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  tree.file('etc/group', 'root:x:0:\nsbx_user1051:x:990:\nnogroup:x:65534:\n');
  tree.file('etc/shadow', 'root:*:19000:0:99999:7:::\nsbx_user1051:!:19000::::::\nnobody:*:19000:0:99999:7:::\n', 0o640);
  tree.file('etc/nsswitch.conf', 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n');
  tree.file('etc/host.conf', 'multi on\n');

  // tzdata's postinst: UTC unless the function sets TZ
  tree.symlink('etc/localtime', '/usr/share/zoneinfo/Etc/UTC', true);
  tree.file('etc/timezone', 'Etc/UTC\n');

  // ca-certificates' postinst (update-ca-certificates): one bundle of every Mozilla CA,
  // in file-name order; OpenSSL's default paths point at it.
  const certs = tree.sorted().filter((e) => e.type === 'file' && e.path.startsWith('usr/share/ca-certificates/') && e.path.endsWith('.crt'));
  if (certs.length > 0) {
    const bundle = Buffer.concat(certs.map((c) => (c.data!.at(-1) === 0x0a ? c.data! : Buffer.concat([c.data!, Buffer.from('\n')]))));
    tree.file('etc/ssl/certs/ca-certificates.crt', bundle);
    tree.symlink('usr/lib/ssl/certs', '/etc/ssl/certs', true);
    tree.symlink('usr/lib/ssl/cert.pem', '/etc/ssl/certs/ca-certificates.crt', true);
    tree.file('etc/ca-certificates.conf', certs.map((c) => c.path.slice('usr/share/ca-certificates/'.length)).join('\n') + '\n');
  }
  for (const applet of busyboxApplets) if (!tree.has(applet)) tree.symlink(applet, '/usr/bin/busybox');

  tree.file('lambda-entrypoint.sh', entrypoint, 0o755);
}
