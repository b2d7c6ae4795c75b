// Applies a rendered sysctl.d file inside a lab host. Only part of /proc/sys/net belongs to a network
// namespace: a child namespace may lack a key, or show the machine-wide value read-only (on this
// 6.18 kernel net.core.rmem_max is such a key: mode 0444 in a child namespace). Those can only be set on a real host, so the lab sorts
// the rendered keys by what this kernel allows and applies the namespaced ones.
import type { HostNamespace } from './hostNamespace.js';

export interface SysctlSetting {
  key: string;
  value: string;
}

/**
 * per-namespace: writable in the child namespace. machine-wide: not net.*, or shown read-only in a
 * child namespace; setting it would change this machine, so the lab leaves it. absent: not there.
 */
export type SysctlScope = 'per-namespace' | 'machine-wide' | 'absent';

/** `key = value` lines of a sysctl.d file; comments and blank lines skipped. */
export function parseSysctlConf(text: string): SysctlSetting[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith(';'))
    .map((line) => {
      const at = line.indexOf('=');
      if (at < 0) throw new Error(`not a sysctl setting: ${line}`);
      return { key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() };
    });
}

export function procPath(key: string): string {
  return `/proc/sys/${key.replaceAll('.', '/')}`;
}

/** What the host's network namespace allows for each key (root gets EACCES on a read-only sysctl). */
export async function sysctlScopes(host: HostNamespace, keys: readonly string[]): Promise<Map<string, SysctlScope>> {
  const scopes = new Map<string, SysctlScope>();
  for (const key of keys) {
    // Only net.* can belong to a network namespace; vm.* or kernel.* are writable from anywhere and
    // would change this machine.
    if (!key.startsWith('net.')) {
      scopes.set(key, 'machine-wide');
      continue;
    }
    const out = await host.shChecked('if [ -w "$1" ]; then echo per-namespace; elif [ -e "$1" ]; then echo machine-wide; else echo absent; fi', [procPath(key)]);
    scopes.set(key, out.trim() as SysctlScope);
  }
  return scopes;
}

/** Sets the per-namespace settings with sysctl -w; returns what was applied and what was left out. */
export async function applyNamespacedSysctls(host: HostNamespace, settings: readonly SysctlSetting[]): Promise<{ applied: SysctlSetting[]; skipped: { setting: SysctlSetting; scope: SysctlScope }[] }> {
  const scopes = await sysctlScopes(host, settings.map((s) => s.key));
  const applied: SysctlSetting[] = [];
  const skipped: { setting: SysctlSetting; scope: SysctlScope }[] = [];
  for (const setting of settings) {
    const scope = scopes.get(setting.key) ?? 'absent';
    if (scope !== 'per-namespace') {
      skipped.push({ setting, scope });
      continue;
    }
    await host.shChecked('sysctl -q -w "$1=$2"', [setting.key, setting.value]);
    applied.push(setting);
  }
  return { applied, skipped };
}

/** The live value inside the host, whitespace-normalised like the rendered file. */
export async function readSysctl(host: HostNamespace, key: string): Promise<string> {
  return (await host.shChecked('sysctl -n "$1"', [key])).trim().split(/\s+/).join(' ');
}
