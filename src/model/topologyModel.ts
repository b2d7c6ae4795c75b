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
  terraform: [string, TerraformValue][];
  sysctl: [string, string][];
  peers: PeerModel[];
  services: { name: string; port: number }[];
  loadBalancer?: LoadBalancerModel;
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
