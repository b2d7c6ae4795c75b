// One lab host: its own network namespace, and a private mount namespace in which some directories
// (/etc/wireguard, /run/wireguard, ...) are fresh tmpfs. Tools that use fixed paths, like wg-quick's
// /etc/wireguard/wg0.conf and wireguard-go's /run/wireguard/wg0.sock, then see only this host's
// files, and keys written there vanish with the namespace instead of landing on this machine's disk.
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand, type CommandOptions, type CommandResult } from './command.js';
import { namespaceInode, type Lab } from './lab.js';

export interface HostNamespace {
  /** The network namespace's name; `ip -n <name>` works on it from outside. */
  name: string;
  /** The process that keeps the mount namespace alive; commands join its namespaces. */
  holderPid: number;
  /** Directories that are private tmpfs inside this host. */
  privateDirs: readonly string[];
  /** Runs argv inside the host's network and mount namespaces. */
  run(argv: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** Runs a POSIX sh script inside the host; args are its $1, $2, ... */
  sh(script: string, args?: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  /** Like sh, but throws with stderr when the script fails. */
  shChecked(script: string, args?: readonly string[], options?: CommandOptions): Promise<string>;
  /** Writes a file under one of the private directories; content goes over stdin, never argv. */
  writeFile(path: string, content: string, mode: number): Promise<void>;
}

export interface HostOptions {
  privateDirs?: readonly string[];
  /** The holder's lifetime: a safety net that ends it even if teardown never runs. */
  holderSeconds?: number;
  /**
   * Directories (e.g. /etc, /var/lib) made copy-on-write inside the host, before the private dirs are
   * mounted: an overlay whose upper layer is a tmpfs mounted on `scratch`, an empty directory the
   * caller made (and removes after teardown). Mount points such as /etc/fortress are then created
   * in the overlay, so the lab leaves no directory behind on this machine, and nothing run in the
   * host can change the machine's files there.
   */
  copyOnWrite?: { scratch: string; dirs: readonly string[] };
}

export async function createHostNamespace(lab: Lab, suffix: string, options: HostOptions = {}): Promise<HostNamespace> {
  const privateDirs = options.privateDirs ?? ['/etc/wireguard', '/run/wireguard'];
  const name = await lab.createNamespace(suffix);
  // `ip netns exec` and `unshare` both exec rather than fork, so the pid we get is the sleep itself;
  // waitForHolder checks that instead of trusting it.
  const holder = spawn('ip', ['netns', 'exec', name, 'unshare', '--mount', '--propagation', 'private', 'sleep', String(options.holderSeconds ?? 600)], {
    stdio: 'ignore',
  });
  lab.own(holder);
  holder.unref();
  if (holder.pid === undefined) throw new Error(`could not start the namespace holder of ${name}`);
  const holderPid = holder.pid;
  await waitForHolder(name, holderPid);

  const run = (argv: readonly string[], runOptions?: CommandOptions) =>
    runCommand('nsenter', ['--target', String(holderPid), '--mount', '--net', '--', ...argv], runOptions);
  const sh = (script: string, args: readonly string[] = [], runOptions?: CommandOptions) => run(['sh', '-c', script, 'sh', ...args], runOptions);
  const shChecked = async (script: string, args: readonly string[] = [], runOptions?: CommandOptions) => {
    const result = await sh(script, args, runOptions);
    if (result.code !== 0) throw new Error(`on ${name}: \`${script}\` exited with ${result.code ?? 'a signal'}: ${result.stderr.trim()}`);
    return result.stdout;
  };

  if (options.copyOnWrite) {
    const { scratch, dirs } = options.copyOnWrite;
    if (!posix.isAbsolute(scratch) || dirs.some((d) => !posix.isAbsolute(d) || posix.normalize(d) !== d)) throw new Error('copy-on-write paths must be absolute and normal');
    await shChecked(
      'set -e; scratch=$1; src=$2; shift 2; mount -t tmpfs -o mode=0700,size=64m "$src" "$scratch"; i=0; for d in "$@"; do i=$((i+1)); mkdir "$scratch/upper$i" "$scratch/work$i"; mount -t overlay "$src" -o "lowerdir=$d,upperdir=$scratch/upper$i,workdir=$scratch/work$i" "$d"; done',
      [scratch, name, ...dirs],
    );
  }
  // The mount points must exist on the shared filesystem (mkdir is not namespaced, except under a
  // copy-on-write dir, where it lands in the host's overlay); the tmpfs on
  // them is private. The tmpfs is named after the namespace, so a test can prove it is not visible
  // from this machine's own mount table.
  await shChecked('set -e; src=$1; shift; for d in "$@"; do mkdir -p "$d"; mount -t tmpfs -o mode=0700,size=4m "$src" "$d"; done', [name, ...privateDirs]);
  await shChecked('ip link set lo up');

  return {
    name,
    holderPid,
    privateDirs,
    run,
    sh,
    shChecked,
    async writeFile(path, content, mode) {
      if (posix.normalize(path) !== path || !privateDirs.some((dir) => path.startsWith(`${dir}/`))) {
        throw new Error(`${path} is not under a private directory of ${name}; writing it would change this machine`);
      }
      await shChecked('umask 077 && cat > "$1" && chmod "$2" "$1"', [path, mode.toString(8)], { input: content });
    },
  };
}

/** Waits, bounded, until the pid is `sleep` inside the namespace and in a mount namespace of its own. */
async function waitForHolder(name: string, pid: number): Promise<void> {
  const wantNet = `net:[${namespaceInode(name)}]`;
  const ourMnt = readlinkSync('/proc/self/ns/mnt');
  for (let i = 0; i < 100; i++) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm === 'sleep' && readlinkSync(`/proc/${pid}/ns/net`) === wantNet && readlinkSync(`/proc/${pid}/ns/mnt`) !== ourMnt) return;
    } catch {
      // exited already: reported below
    }
    await sleep(20);
  }
  throw new Error(`pid ${pid} did not become the holder of ${name} (sleep in its network namespace, with a private mount namespace)`);
}
