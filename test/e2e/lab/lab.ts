// Owns everything one lab run creates, by id, so that teardown removes exactly that: the network
// namespaces it named and the processes inside them. Nothing is ever found or killed by name
// pattern, so two runs (or a real WireGuard on the machine) never touch each other.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runChecked, runCommand } from './command.js';

// Network namespace names end up in veth and tmpfs names on this machine; keep them short and plain.
const NAME = /^[a-z0-9]{1,15}$/;

export class Lab {
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly hooks: Record<TeardownPhase, (() => Promise<void> | void)[]> = { 'before-namespaces': [], 'after-namespaces': [] };

  /** @param prefix unique per run, e.g. `ft${process.pid}s`, so parallel runs never share a name. */
  constructor(readonly prefix: string) {
    if (!NAME.test(prefix) || prefix.length > 12) throw new Error(`lab prefix must be [a-z0-9], at most 12 characters: ${prefix}`);
  }

  /** Creates `<prefix><suffix>` and owns it from the moment it exists. */
  async createNamespace(suffix: string): Promise<string> {
    const name = `${this.prefix}${suffix}`;
    if (!NAME.test(name)) throw new Error(`namespace name must be [a-z0-9], at most 15 characters: ${name}`);
    await runChecked('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    return name;
  }

  /** A process the lab started; teardown kills it if it outlived its namespace. */
  own(child: ChildProcess): void {
    this.children.push(child);
  }

  /**
   * Cleanup that teardown runs, newest first within its phase: 'before-namespaces' for what lives
   * outside the lab's namespaces but points into them (a root-namespace veth), 'after-namespaces' for
   * what must outlive every process inside (temp dirs that are mount points in a host).
   */
  onTeardown(phase: TeardownPhase, hook: () => Promise<void> | void): void {
    this.hooks[phase].push(hook);
  }

  namespaceNames(): readonly string[] {
    return this.namespaces;
  }

  /** Removes every namespace and process of this lab, newest first; tries them all before it throws. */
  async teardown(): Promise<void> {
    const failures: string[] = [];
    await runHooks(this.hooks['before-namespaces'], failures);
    for (const name of [...this.namespaces].reverse()) {
      try {
        await removeNamespace(name);
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    this.namespaces.length = 0;
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.length = 0;
    await runHooks(this.hooks['after-namespaces'], failures);
    if (failures.length > 0) throw new Error(`lab teardown failed:\n${failures.join('\n')}`);
  }
}

export type TeardownPhase = 'before-namespaces' | 'after-namespaces';

/** Runs and forgets the hooks, newest first; a failing hook is recorded and the rest still run. */
async function runHooks(hooks: (() => Promise<void> | void)[], failures: string[]): Promise<void> {
  for (const hook of hooks.splice(0).reverse()) {
    try {
      await hook();
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
}

export function namespaceInode(name: string): number {
  return statSync(`/run/netns/${name}`).ino;
}

/** Kills what runs in the namespace (wireguard-go, holders, stray pings), then deletes it. */
async function removeNamespace(name: string): Promise<void> {
  let inode: number;
  try {
    inode = namespaceInode(name);
  } catch {
    return; // never got created, or already gone
  }
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = await pidsIn(name, inode);
    if (pids.length === 0) break;
    for (const pid of pids) signalIfStillInside(pid, inode, signal);
    // wireguard-go needs a moment to take its TUN device down on SIGTERM.
    for (let i = 0; i < 40 && (await pidsIn(name, inode)).length > 0; i++) await sleep(50);
  }
  const left = await pidsIn(name, inode);
  if (left.length > 0) throw new Error(`processes ${left.join(', ')} survived SIGKILL`);
  await runChecked('ip', ['netns', 'delete', name]);
}

async function pidsIn(name: string, inode: number): Promise<number[]> {
  const result = await runCommand('ip', ['netns', 'pids', name]);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number)
    .filter((pid) => isAliveInside(pid, inode));
}

// Re-checked right before each signal, so a pid that ended and was reused outside is left alone.
function isAliveInside(pid: number, inode: number): boolean {
  try {
    if (readlinkSync(`/proc/${pid}/ns/net`) !== `net:[${inode}]`) return false;
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signalIfStillInside(pid: number, inode: number, signal: NodeJS.Signals): void {
  if (!isAliveInside(pid, inode)) return;
  try {
    process.kill(pid, signal);
  } catch {
    // it ended between the check and the signal
  }
}
