// The topology as written, once the JSON Schema has accepted it. Optional fields are still
// optional here; defaults are applied when the model is built.
export type SysctlValue = number | string;
export type SysctlMap = Record<string, SysctlValue>;
export type TerraformValue = string | number | boolean;

export interface TopologyInput {
  version: 1;
  name: string;
  mesh: MeshInput;
  sites: Record<string, SiteInput>;
  hosts: Record<string, HostInput>;
  services?: Record<string, ServiceInput>;
  loadBalancers?: Record<string, LoadBalancerInput>;
  sysctl?: SysctlInput;
  policy?: { residency?: Record<string, string[]> };
  deploy?: DeployInput;
}

/** Who may log in as each host's deploy user (its ssh.user) on a host that boots from the rendered cloud-init.yaml. */
export interface DeployInput {
  /** OpenSSH public key lines, as in ~/.ssh/id_ed25519.pub. */
  authorizedKeys?: string[];
}

export interface SysctlInput {
  /** Sensitive keys (src/validate/sensitiveSysctl.ts) the topology sets on purpose. */
  allowSensitive?: string[];
  defaults?: SysctlMap;
  roles?: Record<string, SysctlMap>;
}

export type MeshShape = 'hub-and-spoke' | 'full-mesh';

export interface MeshInput {
  interface?: string;
  cidr: string;
  listenPort?: number;
  mtu?: number;
  persistentKeepalive?: number;
  shape?: MeshShape;
  presharedKeys?: boolean;
}

export interface SiteInput {
  provider: string;
  region: string;
  country: string;
}

export interface HostInput {
  site: string;
  roles?: string[];
  endpoint?: string;
  meshAddress?: string;
  publicKey: string;
  stores?: string[];
  ssh?: { address: string; user?: string; port?: number; hostKey?: string };
  terraform?: Record<string, TerraformValue>;
  sysctl?: SysctlMap;
}

export interface ServiceInput {
  port: number;
  hosts: string[];
  /** Host names and `role:<role>` entries that may connect; absent: every host of the mesh. */
  clients?: string[];
}

export interface LoadBalancerInput {
  hosts: string[];
  frontends: FrontendInput[];
  backends: Record<string, BackendInput>;
}

export interface FrontendInput {
  name: string;
  bind: string;
  backend: string;
  /** IPv4 and IPv6 networks that may connect to a frontend bound to a non-loopback address. */
  allow?: string[];
}

export interface BackendInput {
  mode?: 'tcp' | 'http';
  balance?: 'roundrobin' | 'leastconn' | 'first' | 'source';
  check?: { interval?: string; rise?: number; fall?: number };
  servers: ServerInput[];
}

export interface ServerInput {
  host: string;
  service: string;
  backup?: boolean;
  weight?: number;
}
