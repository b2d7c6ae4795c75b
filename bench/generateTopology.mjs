// Generates topologies of any size for the benchmark and the tests, with WireGuard keys made at run
// time (tweetnacl's X25519 is WireGuard's key agreement). Private keys are returned, never written.
import nacl from 'tweetnacl';
import { stringify } from 'yaml';

/** @returns {{ publicKey: string, privateKey: string }} */
/**
 * A fresh WireGuard key pair. About 1 public key in 16 has the bit pattern of a clamped private key, for
 * which validate warns (FT328); generated topologies draw again so that their output stays quiet.
 */
export function generateKeyPair() {
  for (;;) {
    const pair = nacl.box.keyPair();
    const last = pair.publicKey[31];
    if ((pair.publicKey[0] & 0b111) === 0 && (last & 0xc0) === 0x40) continue;
    return { publicKey: Buffer.from(pair.publicKey).toString('base64'), privateKey: Buffer.from(pair.secretKey).toString('base64') };
  }
}

/**
 * @param {object} options
 * @param {number} options.hosts        how many hosts in all
 * @param {'hub-and-spoke'|'full-mesh'} [options.shape]
 * @param {(name: string, index: number) => string} [options.endpoint]  public address of a host
 * @returns {{ topology: object, yaml: string, privateKeys: Map<string, string> }}
 */
export function generateTopology({ hosts, shape = 'hub-and-spoke', endpoint = (_name, i) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}` }) {
  const prefix = Math.min(24, 32 - Math.ceil(Math.log2(hosts + 2)));
  const privateKeys = new Map();
  const sites = {
    oslo: { provider: 'coolvds', region: 'oslo', country: 'NO' },
    frankfurt: { provider: 'aws', region: 'eu-central-1', country: 'DE' },
    london: { provider: 'gcp', region: 'europe-west2', country: 'GB' },
  };
  const hostEntries = {};
  const appHosts = [];
  for (let i = 0; i < hosts; i++) {
    const isDatabase = i < 2;
    const site = isDatabase ? 'oslo' : i % 2 === 0 ? 'frankfurt' : 'london';
    const name = isDatabase ? `oslo-db-${String(i + 1).padStart(2, '0')}` : `${site.slice(0, 3)}-app-${String(i).padStart(4, '0')}`;
    const keys = generateKeyPair();
    privateKeys.set(name, keys.privateKey);
    const host = { site, roles: i === 0 ? ['hub', 'database'] : isDatabase ? ['database'] : ['app'], publicKey: keys.publicKey };
    if (i === 0 || shape === 'full-mesh') host.endpoint = endpoint(name, i);
    if (isDatabase) host.stores = ['pii'];
    host.terraform = isDatabase ? { plan: 'nvme-16gb', image: 'ubuntu-22.04' } : { instance_type: 'c6i.large' };
    if (!isDatabase && i % 10 === 2) {
      host.roles.push('loadbalancer');
      appHosts.push(name);
    }
    hostEntries[name] = host;
  }
  const databases = Object.keys(hostEntries).filter((n) => n.startsWith('oslo-db'));
  const topology = {
    version: 1,
    name: `generated-${shape}-${hosts}`,
    mesh: { cidr: `10.100.0.0/${prefix}`, shape },
    sites,
    hosts: hostEntries,
    services: { postgres: { port: 5432, hosts: databases } },
    ...(appHosts.length > 0 && {
      loadBalancers: {
        edge: {
          hosts: appHosts,
          frontends: [{ name: 'db', bind: '127.0.0.1:5432', backend: 'database_nodes' }],
          backends: {
            database_nodes: {
              check: { interval: '2s', rise: 3, fall: 2 },
              servers: databases.map((host, i) => ({ host, service: 'postgres', ...(i > 0 && { backup: true }) })),
            },
          },
        },
      },
    }),
    sysctl: { defaults: { 'net.core.rmem_max': 16777216 }, roles: { hub: { 'net.ipv4.ip_forward': 1 } } },
    policy: { residency: { pii: ['NO'] } },
  };
  return { topology, yaml: stringify(topology), privateKeys };
}
