// WireGuard on a lab host, driven the way an operator would on a real one: files in /etc/wireguard,
// then wg-quick. This kernel has no wireguard module, so wg-quick falls back to wireguard-go by
// itself (it needs /dev/net/tun); nothing here forces or fakes that.
import { readFileSync } from 'node:fs';
import type { CommandResult } from './command.js';
import type { HostNamespace } from './hostNamespace.js';
import { runCommand } from './command.js';

/** What wg-quick prints when it falls back to the userspace implementation. */
export const USERSPACE_FALLBACK = '[!] Missing WireGuard kernel module. Falling back to slow userspace implementation.';

export interface WireguardFiles {
  interfaceName: string;
  config: string;
  configMode: number;
  /** base64, as `wg genkey` prints it */
  privateKey: string;
}

/** Writes /etc/wireguard/<if>.conf and the key file (0600) into the host's private tmpfs. */
export async function installWireguard(host: HostNamespace, files: WireguardFiles): Promise<void> {
  await host.writeFile(`/etc/wireguard/${files.interfaceName}.conf`, files.config, files.configMode);
  await host.writeFile(`/etc/wireguard/${files.interfaceName}.key`, `${files.privateKey}\n`, 0o600);
}

export function wgQuickUp(host: HostNamespace, interfaceName: string): Promise<CommandResult> {
  return host.run(['wg-quick', 'up', interfaceName], { timeoutMs: 20_000 });
}

/** `wg show <if> public-key`: "(none)" when the interface has no private key. */
export async function livePublicKey(host: HostNamespace, interfaceName: string): Promise<string> {
  return (await host.shChecked('wg show "$1" public-key', [interfaceName])).trim();
}

/** Whether the live interface has a private key, without the key ever leaving the host. */
export async function hasPrivateKey(host: HostNamespace, interfaceName: string): Promise<boolean> {
  const out = await host.shChecked('if [ "$(wg show "$1" private-key)" = "(none)" ]; then echo none; else echo set; fi', [interfaceName]);
  return out.trim() === 'set';
}

/** The wireguard-go daemons running inside the host's network namespace. */
export async function wireguardGoPids(host: HostNamespace): Promise<number[]> {
  const listed = await runCommand('ip', ['netns', 'pids', host.name]);
  return listed.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'wireguard-go';
      } catch {
        return false;
      }
    });
}
