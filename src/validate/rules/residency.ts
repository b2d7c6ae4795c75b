// Data classes stay in the countries policy.residency allows them to be stored in. Residency fails
// closed: a data class the policy does not name may be stored nowhere, so a misspelt or forgotten
// class is an error instead of data stored anywhere.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { ISO_3166_ALPHA2 } from '../isoCountryCodes.js';
import { closestName } from '../suggest.js';
import { entriesOf, mapOf, type SemanticRule } from './rule.js';

export const checkResidency: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const residency = mapOf(topology.policy?.residency);
  const sites = mapOf(topology.sites);
  for (const [hostName, host] of entriesOf(topology.hosts)) {
    const site = sites.get(host.site); // undefined: reported as a dangling reference
    (host.stores ?? []).forEach((dataClass, i) => {
      const path = ['hosts', hostName, 'stores', i];
      const allowed = residency.get(dataClass);
      if (allowed === undefined) {
        const meant = closestName(dataClass, residency.keys());
        const rule = `add policy.residency.${dataClass}: [${site?.country ?? '<countries>'}] to allow it ${site ? 'where it is' : 'in those countries'}`;
        diagnostics.push(error('FT323', locate(path), `host "${hostName}" stores ${dataClass}, which policy.residency does not name, and a data class without a residency rule may be stored nowhere`, meant !== undefined ? `did you mean "${meant}"? Otherwise ${rule}` : rule));
      } else if (site && ISO_3166_ALPHA2.has(site.country) && !allowed.includes(site.country)) {
        // (A country that is no country is reported as such; the residency error would repeat it.)
        diagnostics.push(error('FT310', locate(path), `host "${hostName}" stores ${dataClass} in ${site.country} (site "${host.site}"), but policy.residency.${dataClass} allows only ${allowed.join(', ')}`, `move the host to a site in ${allowed.join(' or ')}, or stop storing ${dataClass} on it`));
      }
    });
  }
  return diagnostics;
};
