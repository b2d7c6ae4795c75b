// Data classes stay in the countries policy.residency allows them to be stored in.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkResidency: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const residency = topology.policy?.residency ?? {};
  for (const [hostName, host] of entriesOf(topology.hosts)) {
    const site = topology.sites[host.site];
    if (!site) continue; // reported as a dangling reference
    (host.stores ?? []).forEach((dataClass, i) => {
      const allowed = residency[dataClass];
      if (allowed && !allowed.includes(site.country)) {
        diagnostics.push(error('FT310', locate(['hosts', hostName, 'stores', i]), `host "${hostName}" stores ${dataClass} in ${site.country} (site "${host.site}"), but policy.residency.${dataClass} allows only ${allowed.join(', ')}`, `move the host to a site in ${allowed.join(' or ')}, or stop storing ${dataClass} on it`));
      }
    });
  }
  return diagnostics;
};
