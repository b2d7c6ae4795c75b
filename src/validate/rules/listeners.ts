// Load balancers and services can all listen: one load balancer per host, no two listeners on one port,
// no name twice (frontends, the servers of a backend).
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { parseIpv4 } from '../../allocate/ipv4Network.js';
import type { PathSegment } from '../../load/sourceDocument.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkListeners: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];

  const balancerOf = new Map<string, string>();
  const wildcardBinds: { lbName: string; hosts: string[]; frontend: string; port: number; at: PathSegment[] }[] = [];
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
      if (isWildcard(address)) wildcardBinds.push({ lbName, hosts: lb.hosts, frontend: frontend.name, port, at: [...at, 'bind'] });
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

  // A frontend bound to every address of its host also holds the port on the host's mesh address.
  for (const bind of wildcardBinds) {
    for (const host of bind.hosts) {
      const service = serviceOnPort.get(`${host}:${bind.port}`);
      if (service !== undefined) {
        diagnostics.push(error('FT316', locate(bind.at), `frontend "${bind.frontend}" of load balancer "${bind.lbName}" listens on port ${bind.port} of every address of host "${host}", where service "${service}" listens too`, 'bind the frontend to one address, such as 127.0.0.1, or use another port'));
      }
    }
  }
  return diagnostics;
};

function splitBind(bind: string): [string, string] {
  const colon = bind.lastIndexOf(':');
  return [bind.slice(0, colon), bind.slice(colon + 1)];
}

function isWildcard(address: string): boolean {
  return address === '' || address === '*' || address === '0.0.0.0';
}
