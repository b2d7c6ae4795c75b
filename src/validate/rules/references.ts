// Every name that points somewhere (a site, a host, a service, a backend) resolves.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { closestName, didYouMean } from '../suggest.js';
import { entriesOf, mapOf, type SemanticRule } from './rule.js';

export const checkReferences: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const sites = Object.keys(topology.sites);
  const hosts = Object.keys(topology.hosts);
  const services = mapOf(topology.services);

  const expect = (kind: string, name: string, known: string[], path: (string | number)[], context: string): boolean => {
    if (known.includes(name)) return true;
    diagnostics.push(error('FT301', locate(path), `${context} refers to unknown ${kind} "${name}"`, didYouMean(name, known) ?? (known.length ? `known ${kind}s: ${known.join(', ')}` : `define it under ${kind}s`)));
    return false;
  };

  for (const [hostName, host] of entriesOf(topology.hosts)) {
    expect('site', host.site, sites, ['hosts', hostName, 'site'], `host "${hostName}"`);
  }
  for (const [serviceName, service] of services) {
    service.hosts.forEach((h, i) => expect('host', h, hosts, ['services', serviceName, 'hosts', i], `service "${serviceName}"`));
  }
  for (const [lbName, lb] of entriesOf(topology.loadBalancers)) {
    lb.hosts.forEach((h, i) => expect('host', h, hosts, ['loadBalancers', lbName, 'hosts', i], `load balancer "${lbName}"`));
    const backends = Object.keys(lb.backends);
    lb.frontends.forEach((f, i) => expect('backend', f.backend, backends, ['loadBalancers', lbName, 'frontends', i, 'backend'], `frontend "${f.name}"`));
    for (const [backendName, backend] of entriesOf(lb.backends)) {
      backend.servers.forEach((server, i) => {
        const at = ['loadBalancers', lbName, 'backends', backendName, 'servers', i];
        const hostKnown = expect('host', server.host, hosts, [...at, 'host'], `backend "${backendName}"`);
        const serviceKnown = expect('service', server.service, [...services.keys()], [...at, 'service'], `backend "${backendName}"`);
        const runsOn = services.get(server.service)?.hosts ?? [];
        // A misspelt host in the service's list is already reported; blaming the server it was meant to be is noise.
        const meantByTypo = runsOn.some((h) => !hosts.includes(h) && closestName(h, hosts) === server.host);
        if (hostKnown && serviceKnown && !runsOn.includes(server.host) && !meantByTypo) {
          const candidates = runsOn.filter((h) => hosts.includes(h));
          diagnostics.push(error('FT311', locate([...at, 'host']), `backend "${backendName}" sends ${server.service} traffic to host "${server.host}", which does not run ${server.service}`, `add "${server.host}" to services.${server.service}.hosts${candidates.length ? `, or pick one of: ${candidates.join(', ')}` : ''}`));
        }
      });
    }
  }
  return diagnostics;
};
