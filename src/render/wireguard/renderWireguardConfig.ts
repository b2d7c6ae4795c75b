// /etc/wireguard/<interface>.conf in wg-quick format, one per host.
import type { HostModel, TopologyModel } from '../../model/topologyModel.js';
import { loadTemplate } from '../template.js';
import { generatedHeader, hostFile, type RenderContext, type RenderedFile } from '../renderedFile.js';

interface WireguardTemplate {
  header: string;
  interface: string;
  host: string;
  address: string;
  listenPort: number;
  mtu: number;
  keyFile: string;
  presharedKeys: { publicKey: string; file: string }[];
  peers: { name: string; publicKey: string; allowedIps: string; endpoint?: string; persistentKeepalive: number }[];
}

const template = loadTemplate<WireguardTemplate>(new URL('./wg0.conf.hbs', import.meta.url));

export function wireguardKeyFile(interfaceName: string): string {
  return `/etc/wireguard/${interfaceName}.key`;
}

/** Where a host keeps the key it shares with one peer; both ends hold the same key under each other's name. */
export function presharedKeyFile(interfaceName: string, peer: string): string {
  return `/etc/wireguard/${interfaceName}.psk/${peer}.psk`;
}

export function renderWireguardConfig(model: TopologyModel, host: HostModel, context: RenderContext): RenderedFile {
  const { mesh } = model;
  const content = template({
    header: generatedHeader(context.source, model.name),
    interface: mesh.interface,
    host: host.name,
    address: `${host.meshAddress}/${mesh.prefixLength}`,
    listenPort: mesh.listenPort,
    mtu: mesh.mtu,
    keyFile: wireguardKeyFile(mesh.interface),
    presharedKeys: mesh.presharedKeys ? host.peers.map((p) => ({ publicKey: p.publicKey, file: presharedKeyFile(mesh.interface, p.name) })) : [],
    peers: host.peers.map((p) => ({
      name: p.name,
      publicKey: p.publicKey,
      allowedIps: p.allowedIps.join(', '),
      ...(p.endpoint === undefined ? {} : { endpoint: p.endpoint }),
      persistentKeepalive: mesh.persistentKeepalive,
    })),
  });
  // The file names no private key, but it is still the host's network identity: keep it root-only.
  return hostFile(host.name, `/etc/wireguard/${mesh.interface}.conf`, content, 0o600, 'wireguard');
}
