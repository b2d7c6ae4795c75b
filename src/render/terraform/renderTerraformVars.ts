// terraform/<site>.auto.tfvars: what a site's Terraform needs to create its hosts and join them to the
// mesh: each host's rendered cloud-init.yaml for user_data, and whom each host peers with (keys,
// addresses, endpoints and AllowedIPs) for user-data written by hand, in a full mesh too.
import type { PeerModel, SiteModel, TopologyModel } from '../../model/topologyModel.js';
import { cloudInitPath } from '../cloudInit/cloudInitPath.js';
import { loadTemplate } from '../template.js';
import { generatedHeader, type RenderContext, type RenderedFile } from '../renderedFile.js';
import { alignAttributes, hclObjectKey, hclString, hclValue } from './hcl.js';

interface TerraformTemplate {
  header: string;
  site: SiteModel & { nameValue: string; providerValue: string; regionValue: string; countryValue: string };
  mesh: { interface: string; cidr: string; listenPort: number; mtu: number; keepalive: number; shape: string };
  hubs: { key: string; endpoint: string; port: number; publicKey: string; meshAddress: string }[];
  /** Every host a host of this site peers with: key, mesh address and WireGuard endpoint. */
  peers: { key: string; publicKey: string; meshAddress: string; endpoint?: string }[];
  /** `peers = {}`, aligned with the attributes before it when those are single lines too (as terraform fmt does). */
  emptyPeers: string;
  hosts: {
    key: string;
    meshAddress: string;
    publicKey: string;
    roles: string;
    cloudInit: string;
    terraform: { name: string; value: string }[];
    /** Peer name -> its AllowedIPs on this host. */
    peers: { name: string; value: string }[];
    emptyPeers: string;
  }[];
}

const template = loadTemplate<TerraformTemplate>(new URL('./site.auto.tfvars.hbs', import.meta.url));

export function renderTerraformVars(model: TopologyModel, site: SiteModel, context: RenderContext): RenderedFile {
  const { mesh } = model;
  const hosts = model.hosts.filter((h) => h.site.name === site.name);
  const hubs = model.hosts.filter((h) => h.isHub);
  const peers = new Map<string, PeerModel & { meshAddress: string }>();
  const addressOf = new Map(model.hosts.map((h) => [h.name, h.meshAddress]));
  for (const host of hosts) for (const peer of host.peers) if (!peers.has(peer.name)) peers.set(peer.name, { ...peer, meshAddress: addressOf.get(peer.name)! });
  const renderedDir = context.renderedDir ?? 'rendered';
  // A full mesh of n hosts lists n(n-1) peers: each name and route list is escaped once, not per host.
  const keyOf = memoized(hclObjectKey);
  const routesOf = memoized((routes: string) => hclValue(routes.split(',')));

  const content = template({
    header: generatedHeader(context.source, model.name),
    site: { ...site, nameValue: hclString(site.name), providerValue: hclString(site.provider), regionValue: hclString(site.region), countryValue: hclString(site.country) },
    mesh: {
      interface: hclString(mesh.interface),
      cidr: hclString(mesh.cidr),
      listenPort: mesh.listenPort,
      mtu: mesh.mtu,
      keepalive: mesh.persistentKeepalive,
      shape: hclString(mesh.shape),
    },
    hubs: hubs.map((hub) => ({
      key: hclObjectKey(hub.name),
      endpoint: hclString(hub.endpoint ?? ''),
      port: mesh.listenPort,
      publicKey: hclString(hub.publicKey),
      meshAddress: hclString(hub.meshAddress),
    })),
    peers: [...peers.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((peer) => ({
        key: hclObjectKey(peer.name),
        publicKey: hclString(peer.publicKey),
        meshAddress: hclString(peer.meshAddress),
        ...(peer.endpoint === undefined ? {} : { endpoint: hclString(peer.endpoint) }),
      })),
    emptyPeers: hubs.length > 0 ? 'peers = {}' : `${'peers'.padEnd('listen_port'.length)} = {}`,
    hosts: hosts.map((host) => ({
      key: hclObjectKey(host.name),
      meshAddress: hclString(host.meshAddress),
      publicKey: hclString(host.publicKey),
      roles: hclValue(host.roles),
      cloudInit: hclString(`${renderedDir}/${cloudInitPath(host.name)}`),
      terraform: alignAttributes(host.terraform.map(([name, value]) => [hclObjectKey(name), hclValue(value)])),
      peers: alignAttributes(host.peers.map((p) => [keyOf(p.name), routesOf(p.allowedIps.join(','))])),
      emptyPeers: host.terraform.length > 0 ? 'peers = {}' : `${'peers'.padEnd('mesh_address'.length)} = {}`,
    })),
  });
  return { path: `terraform/${site.name}.auto.tfvars`, content, mode: 0o644, reload: 'none' };
}

function memoized(escape: (text: string) => string): (text: string) => string {
  const cache = new Map<string, string>();
  return (text) => {
    let escaped = cache.get(text);
    if (escaped === undefined) cache.set(text, (escaped = escape(text)));
    return escaped;
  };
}
