import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runOk } from './exec.js';

/**
 * Host networking for runc sandboxes.
 *
 * One Linux bridge (default `lambdock0`, gateway 10.88.0.1/16) shared by every runtime
 * on the host; each sandbox gets a network namespace (`ip netns`, joined by runc by
 * path) with a veth whose host end is an *isolated* bridge port, so sandboxes reach
 * the gateway but not one another. Firewall (own chains, jumped to from the built-in
 * ones, so docker's rules are left alone):
 *
 *   <BR>-INPUT      from the bridge to the host: replies, the Runtime API ports in
 *                   <BR>-RAPI (one rule per runtime, tagged), everything else dropped
 *   <BR>-FORWARD    out to the world accepted (masqueraded); into the bridge only
 *                   replies; to docker's bridges dropped
 *   <BR>-POSTROUTING (nat) MASQUERADE for the subnet
 *
 * Addresses are leased with files under /run/lambdock/<BR>/ created O_EXCL, so
 * several runtimes (e.g. parallel test processes) share the subnet safely; a lease
 * is stale once its network namespace is gone.
 *
 * Building a namespace costs two `ip` runs (~10 ms), so a few are kept ready (`poolSize`)
 * and refilled in the background; a sandbox's namespace is deleted with it, never reused.
 * Names: namespace `ldk-<runtime tag>-<random>`, host veth `ldk<hash of that>`, so
 * whatever a crashed run left is found by its tag.
 */
export interface Subnet {
  /** network address as a 32-bit number */
  base: number;
  prefix: number;
  gateway: string;
  cidr: string;
}

export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`subnet must look like 10.88.0.0/16, got ${JSON.stringify(cidr)}`);
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 8 || prefix > 28) throw new Error(`subnet ${cidr} is out of range (prefix 8..28)`);
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  const base = (ip & mask) >>> 0;
  return { base, prefix, gateway: ipString(base + 1), cidr: `${ipString(base)}/${prefix}` };
}

export function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface SandboxNet {
  netns: string;
  hostVeth: string;
  address: string;
}

export class HostNetwork {
  readonly subnet: Subnet;
  readonly leaseDir: string;
  #cursor = 0;
  #mtu = 1500;
  #pool: SandboxNet[] = [];
  #refilling: Promise<void> | undefined;
  #closed = false;

  constructor(
    readonly bridge: string,
    subnetCidr: string,
    /** distinguishes this runtime's firewall rule (a hash of its state dir) */
    private readonly tag: string,
    private readonly runtimeApiPort: number,
    /** namespaces kept ready */
    readonly poolSize = 2,
  ) {
    this.subnet = parseSubnet(subnetCidr);
    this.leaseDir = join('/run/lambdock', bridge);
  }

  get gateway(): string {
    return this.subnet.gateway;
  }

  private chain(suffix: string): string {
    return `${this.bridge.toUpperCase()}-${suffix}`;
  }

  /** Idempotent: bridge, forwarding, firewall chains and this runtime's Runtime API rule. */
  async init(): Promise<void> {
    this.#mtu = detectUplinkMtu();
    const br = this.bridge;
    // -force: keep going when the bridge/address exist already (a previous init)
    await run('ip', ['-force', '-batch', '-'], [
      `link add ${br} type bridge`,
      `addr add ${this.gateway}/${this.subnet.prefix} dev ${br}`,
      `link set ${br} mtu ${this.#mtu} up`,
    ].join('\n') + '\n');
    if (!existsSync(`/sys/class/net/${br}`)) throw new Error(`bridge ${br} could not be created`);
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    // Sandboxes speak IPv4 only. Left on, the bridge's IPv6 link-local address would let
    // them reach every host service listening on [::] (Node's default) around the firewall.
    disableIpv6(br);
    if ((await run('sh', ['-c', 'command -v ip6tables'])).code === 0) {
      await ensureRule('filter', 'INPUT', ['-i', br, '-j', 'DROP'], 'ip6tables');
      await ensureRule('filter', 'FORWARD', ['-i', br, '-j', 'DROP'], 'ip6tables');
      await ensureRule('filter', 'FORWARD', ['-o', br, '-j', 'DROP'], 'ip6tables');
    }

    const input = this.chain('INPUT');
    const forward = this.chain('FORWARD');
    const rapi = this.chain('RAPI');
    const post = this.chain('POSTROUTING');
    await run('iptables', ['-w', '-N', rapi]); // exists already: fine, keep other runtimes' rules
    await runOk('iptables-restore', ['-w', '--noflush'], [
      '*filter',
      `:${input} - [0:0]`,
      `:${forward} - [0:0]`,
      `-A ${input} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${input} -j ${rapi}`,
      `-A ${input} -j DROP`,
      `-A ${forward} -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${forward} -o ${br} -j DROP`,
      `-A ${forward} -i ${br} -o docker0 -j DROP`,
      `-A ${forward} -i ${br} -o br-+ -j DROP`,
      // link-local: cloud metadata services (169.254.169.254) are the host's, not the function's
      `-A ${forward} -i ${br} -d 169.254.0.0/16 -j DROP`,
      `-A ${forward} -i ${br} -j ACCEPT`,
      'COMMIT',
      '*nat',
      `:${post} - [0:0]`,
      `-A ${post} -s ${this.subnet.cidr} ! -o ${br} -j MASQUERADE`,
      'COMMIT',
      '',
    ].join('\n'));
    await ensureRule('filter', 'INPUT', ['-i', br, '-j', input]);
    await ensureRule('filter', 'FORWARD', ['-j', forward]);
    await ensureRule('nat', 'POSTROUTING', ['-j', post]);
    const rule = this.rapiRule();
    if ((await run('iptables', ['-w', '-C', rapi, ...rule])).code !== 0) await runOk('iptables', ['-w', '-A', rapi, ...rule]);

    mkdirSync(this.leaseDir, { recursive: true });
    this.reclaimStaleLeases();
    this.#closed = false; // the pool fills on the first acquire(): a runtime that never creates holds nothing
  }

  private rapiRule(): string[] {
    return ['-d', `${this.gateway}/32`, '-p', 'tcp', '--dport', String(this.runtimeApiPort), '-m', 'comment', '--comment', `lambdock:${this.tag}`, '-j', 'ACCEPT'];
  }

  /** Removes the pool and this runtime's Runtime API rule; the shared bridge and chains stay for others. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#refilling;
    await Promise.all(this.#pool.splice(0).map((net) => this.detach(net)));
    await run('iptables', ['-w', '-D', this.chain('RAPI'), ...this.rapiRule()]);
  }

  /** A ready namespace with its own address (from the pool when there is one). */
  async acquire(): Promise<SandboxNet> {
    const net = this.#pool.shift() ?? (await this.#build());
    this.#refill();
    return net;
  }

  #refill(): void {
    if (this.#refilling || this.#closed || this.#pool.length >= this.poolSize) return;
    // a moment later: the sandbox that just took one is starting and needs the CPU first
    this.#refilling = new Promise<void>((resolve) => setTimeout(resolve, 25)).then(async () => {
      while (!this.#closed && this.#pool.length < this.poolSize) {
        try {
          this.#pool.push(await this.#build());
        } catch {
          break; // acquire() builds on demand and reports the error where it matters
        }
      }
      this.#refilling = undefined;
    });
  }

  /** Leases an address and builds the namespace + veth; throws with nothing left behind. */
  async #build(): Promise<SandboxNet> {
    const netns = `ldk-${this.tag}-${randomBytes(5).toString('hex')}`;
    const hostVeth = vethName(netns);
    const address = this.lease(netns);
    const net = { netns, hostVeth, address };
    try {
      const mtu = this.#mtu;
      await runOk('ip', ['-batch', '-'], [
        // the host may still remember a previous holder of this address (its MAC, or a
        // FAILED probe) and would not reach the new one for seconds
        `neigh flush to ${address} dev ${this.bridge}`,
        `netns add ${netns}`,
        `link add ${hostVeth} mtu ${mtu} type veth peer name eth0 mtu ${mtu} netns ${netns}`,
        `link set dev ${hostVeth} master ${this.bridge}`,
        `link set dev ${hostVeth} type bridge_slave isolated on`,
        `link set dev ${hostVeth} up`,
        '',
      ].join('\n'));
      disableIpv6(hostVeth);
      await runOk('ip', ['-n', netns, '-batch', '-'], [
        'link set lo up',
        `addr add ${address}/${this.subnet.prefix} dev eth0`,
        'link set eth0 up',
        `route add default via ${this.gateway}`,
        '',
      ].join('\n'));
      return net;
    } catch (err) {
      await this.detach(net);
      throw err;
    }
  }

  /** Removes every namespace of this runtime's tag not in use: a crashed run's, or the pool's. */
  async removeUnused(inUse: ReadonlySet<string>): Promise<void> {
    const prefix = `ldk-${this.tag}-`;
    const keep = new Set([...inUse, ...this.#pool.map((n) => n.netns)]);
    const names = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith(prefix) && !keep.has(n)) : [];
    if (names.length === 0) return;
    await run('ip', ['-force', '-batch', '-'], names.map((n) => `link del ${vethName(n)}\nnetns del ${n}\n`).join(''));
    const gone = new Set(names);
    for (const ip of existsSync(this.leaseDir) ? readdirSync(this.leaseDir) : []) {
      try {
        if (gone.has(readFileSync(join(this.leaseDir, ip), 'utf8'))) unlinkSync(join(this.leaseDir, ip));
      } catch {
        // raced: fine
      }
    }
  }

  /**
   * For a process exiting without close(): synchronously removes the pool and the given
   * namespaces (sandboxes), so nothing outlives it on the host. Never throws.
   */
  removeSync(nets: SandboxNet[]): void {
    const all = [...this.#pool.splice(0), ...nets].filter((n) => n.netns);
    if (all.length === 0) return;
    spawnSync('ip', ['-force', '-batch', '-'], { input: all.map((n) => `link del ${n.hostVeth}\nnetns del ${n.netns}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'] });
    for (const n of all) this.release(n.address, n.netns);
  }

  /** Removes veth, namespace and lease; never throws. */
  async detach(net: SandboxNet): Promise<void> {
    // the veth goes explicitly: a namespace is torn down asynchronously by the kernel
    await run('ip', ['-force', '-batch', '-'], `link del ${net.hostVeth}\nnetns del ${net.netns}\n${net.address ? `neigh flush to ${net.address} dev ${this.bridge}\n` : ''}`);
    this.release(net.address, net.netns);
  }

  private lease(netns: string): string {
    const first = this.subnet.base + 2;
    const count = 2 ** (32 - this.subnet.prefix) - 3; // minus network, gateway, broadcast
    for (let i = 0; i < count; i++) {
      const ip = ipString(first + ((this.#cursor + i) % count));
      try {
        const fd = openSync(join(this.leaseDir, ip), 'wx');
        writeSync(fd, netns);
        closeSync(fd);
        this.#cursor = (this.#cursor + i + 1) % count;
        return ip;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new Error(`no free address left in ${this.subnet.cidr}`);
  }

  private release(address: string, netns: string): void {
    const path = join(this.leaseDir, address);
    try {
      if (readFileSync(path, 'utf8') === netns) unlinkSync(path);
    } catch {
      // already gone
    }
  }

  /** A lease whose namespace no longer exists belongs to a crashed run (grace: leases being set up). */
  private reclaimStaleLeases(): void {
    const now = Date.now();
    for (const name of readdirSync(this.leaseDir)) {
      const path = join(this.leaseDir, name);
      try {
        const netns = readFileSync(path, 'utf8');
        if (!existsSync(join('/run/netns', netns)) && now - statSync(path).mtimeMs > 60_000) unlinkSync(path);
      } catch {
        // raced with its owner: fine
      }
    }
  }
}

export function vethName(netns: string): string {
  return `ldk${createHash('sha256').update(netns).digest('hex').slice(0, 11)}`;
}

async function ensureRule(table: string, chain: string, rule: string[], tool = 'iptables'): Promise<void> {
  if ((await run(tool, ['-w', '-t', table, '-C', chain, ...rule])).code === 0) return;
  await runOk(tool, ['-w', '-t', table, '-I', chain, '1', ...rule]);
}

function disableIpv6(iface: string): void {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${iface}/disable_ipv6`, '1');
  } catch {
    // kernel without IPv6: nothing to disable
  }
}

/** The MTU of the interface carrying the default route, so NATed TCP is not black-holed. */
function detectUplinkMtu(): number {
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, dest] = line.split('\t');
      if (iface && dest === '00000000') {
        const mtu = Number(readFileSync(`/sys/class/net/${iface}/mtu`, 'utf8').trim());
        if (mtu >= 576) return Math.min(mtu, 1500);
      }
    }
  } catch {
    // no default route: keep the Ethernet default
  }
  return 1500;
}
