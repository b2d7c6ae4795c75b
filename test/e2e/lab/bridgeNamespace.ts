// The lab's underlay: a bridge in a network namespace of its own, so the root namespace of this
// machine gets no interfaces, addresses or routes from a lab.
import { runChecked } from './command.js';
import type { HostNamespace } from './hostNamespace.js';
import type { Lab } from './lab.js';

export interface Bridge {
  namespace: string;
  device: string;
}

export async function createBridge(lab: Lab, suffix = 'br'): Promise<Bridge> {
  const namespace = await lab.createNamespace(suffix);
  const device = 'br0';
  await runChecked('ip', ['-n', namespace, 'link', 'add', device, 'type', 'bridge']);
  await runChecked('ip', ['-n', namespace, 'link', 'set', device, 'up']);
  return { namespace, device };
}

/**
 * Plugs a host into the bridge with a veth pair: `p<port>` on the bridge side, `eth0` in the host
 * with the given address (CIDR). Veth names live in their own namespaces, so they stay short.
 */
export async function connectToBridge(bridge: Bridge, host: HostNamespace, port: number, address: string): Promise<void> {
  const bridgeSide = `p${port}`;
  await runChecked('ip', ['-n', bridge.namespace, 'link', 'add', bridgeSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.name]);
  await runChecked('ip', ['-n', bridge.namespace, 'link', 'set', bridgeSide, 'master', bridge.device, 'up']);
  await runChecked('ip', ['-n', host.name, 'address', 'add', address, 'dev', 'eth0']);
  await runChecked('ip', ['-n', host.name, 'link', 'set', 'eth0', 'up']);
}
