// Load balancers and services can all listen: one load balancer per host, no two listeners on one port,
// a frontend binds only addresses of its own host, no name twice (frontends, the servers of a backend).
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { parseIpv4, type Ipv4Network } from '../../allocate/ipv4Network.js';
import type { PathSegment } from '../../load/sourceDocument.js';
import { usableMeshNetwork } from './mesh.js';
import { entriesOf, mapOf, type SemanticRule } from './rule.js';

export const checkListeners: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const mesh = usableMeshNetwork(topology.mesh.cidr); // an unusable mesh.cidr is reported by the mesh rule
  const hosts = mapOf(topology.hosts);

  const balancerOf = new Map<string, string>();
  // Frontends that hold a port on a host's mesh address: bound to every address, or to that one.
  const meshBinds: { lbName: string; hosts: string[]; frontend: string; port: number; at: PathSegment[]; wildcard: boolean }[] = [];
  for (const [lbName, lb] of entriesOf(topology.loadBalancers)) {
    lb.hosts.forEach((host, i) => {
      const other = balancerOf.get(host);
      if (other !== undefined) {
        diagnostics.push(error('FT312', locate(['loadBalancers', lbName, 'hosts', i]), `host "${host}" already runs load balancer "${other}"; a host runs one HAProxy`, `move the frontends and backends of "${lbName}" into "${other}"`));
      } else {
        balancerOf.set(host, lbName);
      }
    });

    const frontendNames = new Set<string>();
    const binds: { address: string; port: number; name: string }[] = [];
    lb.frontends.forEach((frontend, i) => {
      const at = ['loadBalancers', lbName, 'frontends', i];
      if (frontendNames.has(frontend.name)) {
        diagnostics.push(error('FT207', locate([...at, 'name']), `load balancer "${lbName}" has two frontends named "${frontend.name}"`));
      }
      frontendNames.add(frontend.name);

      const [address = '', portText = ''] = splitBind(frontend.bind);
      const port = Number(portText);
      if (address !== '' && address !== '*' && parseIpv4(address) === undefined) {
        diagnostics.push(error('FT318', locate([...at, 'bind']), `bind address "${address}" of frontend "${frontend.name}" is not a valid IPv4 address`));
      }
      if (port < 1 || port > 65535) {
        diagnostics.push(error('FT206', locate([...at, 'bind']), `bind port ${portText} of frontend "${frontend.name}" must be between 1 and 65535`));
        return;
      }
      const clash = binds.find((b) => b.port === port && (b.address === address || isWildcard(b.address) || isWildcard(address)));
      if (clash) {
        diagnostics.push(error('FT316', locate([...at, 'bind']), `frontends "${clash.name}" and "${frontend.name}" of load balancer "${lbName}" both listen on port ${port}`));
      }
      binds.push({ address, port, name: frontend.name });
      if (isWildcard(address)) {
        meshBinds.push({ lbName, hosts: lb.hosts, frontend: frontend.name, port, at: [...at, 'bind'], wildcard: true });
      } else if (mesh && isInside(address, mesh)) {
        const problem = notOwnMeshAddress(address, lb.hosts);
        if (problem !== undefined) {
          const pin = problem.pinnable && lb.hosts.length === 1 ? `, or pin hosts.${lb.hosts[0]}.meshAddress: ${address}` : '';
          diagnostics.push(error('FT325', locate([...at, 'bind']), `frontend "${frontend.name}" of load balancer "${lbName}" binds ${address}, inside mesh.cidr ${mesh.cidr}, but ${problem.why}`, `bind 127.0.0.1 or * instead${pin}`));
        } else {
          meshBinds.push({ lbName, hosts: lb.hosts, frontend: frontend.name, port, at: [...at, 'bind'], wildcard: false });
        }
      }
    });

    // HAProxy names each server after its host, so a host can be one server of a backend only once.
    for (const [backendName, backend] of entriesOf(lb.backends)) {
      const seen = new Set<string>();
      backend.servers.forEach((server, i) => {
        if (seen.has(server.host)) {
          diagnostics.push(error('FT207', locate(['loadBalancers', lbName, 'backends', backendName, 'servers', i, 'host']), `backend "${backendName}" lists host "${server.host}" twice`, 'a host is one server of a backend: remove one of the entries'));
        }
        seen.add(server.host);
      });
    }
  }

  const serviceOnPort = new Map<string, string>();
  for (const [serviceName, service] of entriesOf(topology.services)) {
    service.hosts.forEach((host, i) => {
      const key = `${host}:${service.port}`;
      const other = serviceOnPort.get(key);
      if (other !== undefined) {
        diagnostics.push(error('FT316', locate(['services', serviceName, 'hosts', i]), `services "${other}" and "${serviceName}" both listen on port ${service.port} of host "${host}"`));
      }
      serviceOnPort.set(key, serviceName);
    });
  }

  // Services listen on their host's mesh address; so does a frontend bound to it or to every address.
  for (const bind of meshBinds) {
    for (const host of bind.hosts) {
      const service = serviceOnPort.get(`${host}:${bind.port}`);
      if (service === undefined) continue;
      const where = bind.wildcard ? `every address of host "${host}"` : `the mesh address of host "${host}"`;
      diagnostics.push(error('FT316', locate(bind.at), `frontend "${bind.frontend}" of load balancer "${bind.lbName}" listens on port ${bind.port} of ${where}, where service "${service}" listens too`, bind.wildcard ? 'bind the frontend to one address, such as 127.0.0.1, or use another port' : 'bind the frontend to 127.0.0.1, or use another port'));
    }
  }
  return diagnostics;

  /** Why a mesh address is not the (pinned) address of every host the frontend runs on, or undefined when it is. */
  function notOwnMeshAddress(address: string, lbHosts: readonly string[]): { why: string; pinnable: boolean } | undefined {
    const owner = [...hosts].find(([, h]) => h.meshAddress === address)?.[0];
    for (const name of lbHosts) {
      const pinned = hosts.get(name)?.meshAddress;
      if (pinned === address) continue;
      if (owner !== undefined) return { why: `that is the mesh address of host "${owner}", and the frontend runs on host "${name}"`, pinnable: false };
      if (pinned === undefined) return { why: `host "${name}" has no pinned meshAddress, so its mesh address is not known to be ${address}`, pinnable: true };
      return { why: `the mesh address of host "${name}" is ${pinned}`, pinnable: false };
    }
    return undefined;
  }
};

function isInside(address: string, network: Ipv4Network): boolean {
  const n = parseIpv4(address);
  return n !== undefined && n >= network.network && n <= network.broadcast;
}

function splitBind(bind: string): [string, string] {
  const colon = bind.lastIndexOf(':');
  return [bind.slice(0, colon), bind.slice(colon + 1)];
}

function isWildcard(address: string): boolean {
  return address === '' || address === '*' || address === '0.0.0.0';
}
