// The resolved, typed topology every renderer reads: defaults applied, addresses allocated,
// peers worked out, sysctl merged, load balancers resolved to mesh addresses. Everything is sorted.
import type { MeshShape, TerraformValue } from '../validate/topologyInput.js';

export interface TopologyModel {
  name: string;
  mesh: MeshModel;
  sites: SiteModel[];
  hosts: HostModel[];
  /** Data class -> countries it may be stored in, sorted. */
  policy: { residency: [string, string[]][] };
  deploy: DeployModel;
}

/** What a host's first boot gives its deploy user. */
export interface DeployModel {
  /** OpenSSH public key lines, as the topology lists them (validated, in its order). */
  authorizedKeys: string[];
}

export interface MeshModel {
  interface: string;
  cidr: string;
  prefixLength: number;
  listenPort: number;
  mtu: number;
  persistentKeepalive: number;
  shape: MeshShape;
  presharedKeys: boolean;
}

export interface SiteModel {
  name: string;
  provider: string;
  region: string;
  country: string;
}

export interface HostModel {
  name: string;
  site: SiteModel;
  roles: string[];
  isHub: boolean;
  endpoint?: string;
  meshAddress: string;
  publicKey: string;
  stores: string[];
  ssh?: { address: string; user: string; port: number; hostKey?: string };
  /** The user fortress logs in as (ssh.user, root without one), which first boot creates. */
  deployUser: string;
  terraform: [string, TerraformValue][];
  sysctl: [string, string][];
  peers: PeerModel[];
  services: { name: string; port: number }[];
  loadBalancer?: LoadBalancerModel;
  firewall: FirewallModel;
}

/** Who may connect to a service. */
export interface FirewallClients {
  /** Resolved hosts, sorted by name: those named, those with a role named, and the load-balancer hosts that send to the service. Absent: every mesh host (the mesh CIDR). */
  hosts?: { name: string; address: string }[];
  /** As written, sorted (host names, then `role:` entries), for comments and the review: ["fra-app-01", "role:app"]. Absent for everyone. */
  written?: string[];
}

/** What /etc/fortress/firewall.nft of a host enforces. */
export interface FirewallModel {
  /** The host's ssh.port, or 22: never blocked. */
  sshPort: number;
  /** Services this host runs, by name. */
  services: { name: string; port: number; clients: FirewallClients }[];
  /** HAProxy frontends bound to a non-loopback address on this host, by name; `allow` normalized and sorted (IPv4 first). */
  frontends: { name: string; port: number; bind: string; allow?: string[] }[];
  /** Hubs of a hub-and-spoke mesh only: the spoke-to-spoke traffic the hub forwards, by service then host. */
  forward?: { service: string; host: string; address: string; port: number; clients: FirewallClients }[];
}

export interface PeerModel {
  name: string;
  publicKey: string;
  allowedIps: string[];
  /** host:port, with IPv6 addresses in brackets */
  endpoint?: string;
}

export interface LoadBalancerModel {
  name: string;
  frontends: { name: string; bind: string; backend: string; mode: 'tcp' | 'http' }[];
  backends: BackendModel[];
}

export interface BackendModel {
  name: string;
  mode: 'tcp' | 'http';
  balance: string;
  check: { interval: string; rise: number; fall: number };
  servers: { name: string; address: string; port: number; backup: boolean; weight?: number }[];
}
