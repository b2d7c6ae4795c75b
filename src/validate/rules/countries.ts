// Countries are real ISO 3166-1 alpha-2 codes: residency is decided by them, and `UK` or `XX` would
// match no site and no policy.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { PathSegment } from '../../load/sourceDocument.js';
import { ISO_3166_ALPHA2, NOT_ISO_BUT_MEANT } from '../isoCountryCodes.js';
import { entriesOf, type SemanticRule } from './rule.js';

export const checkCountries: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  const check = (country: string, path: PathSegment[], where: string) => {
    if (ISO_3166_ALPHA2.has(country)) return;
    diagnostics.push(error('FT322', locate(path), `${where} is "${country}", which is not an ISO 3166-1 alpha-2 country code`, countryHint(country)));
  };
  for (const [siteName, site] of entriesOf(topology.sites)) {
    check(site.country, ['sites', siteName, 'country'], `the country of site "${siteName}"`);
  }
  for (const [dataClass, countries] of entriesOf(topology.policy?.residency)) {
    countries.forEach((country, i) => check(country, ['policy', 'residency', dataClass, i], `a country of policy.residency.${dataClass}`));
  }
  return diagnostics;
};

/**
 * Edit distance says little between two-letter codes (every one is a letter away from a dozen
 * real codes), so the hints are the well-known non-ISO codes and swapped letters (ON for NO).
 */
function countryHint(country: string): string {
  const meant = NOT_ISO_BUT_MEANT.get(country);
  if (meant) return `did you mean "${meant.code}"? ${country} is not in ISO 3166-1; ${meant.code} is ${meant.country}`;
  const swapped = [...country].reverse().join('');
  if (ISO_3166_ALPHA2.has(swapped)) return `did you mean "${swapped}"?`;
  return 'write the two-letter ISO 3166-1 code of the country, such as NO, DE or GB';
}
