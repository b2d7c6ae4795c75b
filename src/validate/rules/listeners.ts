// Load balancers and services can all listen: one load balancer per host, no two listeners on one port.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { parseIpv4 } from '../../allocate/ipv4Network.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkListeners: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];

  const balancerOf = new Map<string, string>();
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
    });
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
  return diagnostics;
};

function splitBind(bind: string): [string, string] {
  const colon = bind.lastIndexOf(':');
  return [bind.slice(0, colon), bind.slice(colon + 1)];
}

function isWildcard(address: string): boolean {
  return address === '' || address === '*' || address === '0.0.0.0';
}
