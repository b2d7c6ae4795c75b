// Countries are real ISO 3166-1 alpha-2 codes, and residency fails closed: every stored data class has a rule.
import { describe, expect, test } from 'vitest';
import { ISO_3166_ALPHA2 } from '../../src/validate/isoCountryCodes.js';
import { compileText } from '../support/compileExample.js';
import { smallTopology } from '../support/smallTopology.js';
import { errorCodes, validateText } from './validateText.js';

const withCountry = (country: string) => smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.1' } }).replace("country: 'NO'", `country: ${country}`).replace('country: NO', `country: ${country}`);

describe('country codes', () => {
  test('the list holds the 249 assigned codes and none of the reserved ones', () => {
    expect(ISO_3166_ALPHA2.size).toBe(249);
    for (const code of ['NO', 'DE', 'GB', 'GR', 'IE', 'SS', 'AX']) expect(ISO_3166_ALPHA2.has(code)).toBe(true);
    for (const code of ['UK', 'EL', 'XK', 'XX', 'EU', 'AA']) expect(ISO_3166_ALPHA2.has(code)).toBe(false);
  });

  test.each([
    ['UK', 'did you mean "GB"? UK is not in ISO 3166-1; GB is the United Kingdom'],
    ['EL', 'did you mean "GR"? EL is not in ISO 3166-1; GR is Greece'],
    ['ON', 'did you mean "NO"?'],
    ['XX', 'write the two-letter ISO 3166-1 code of the country, such as NO, DE or GB'],
  ])('%s is refused with the hint: %s', (country, hint) => {
    const { valid, diagnostics } = validateText(withCountry(country));
    expect(valid).toBe(false);
    expect(diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([['FT322', `the country of site "oslo" is "${country}", which is not an ISO 3166-1 alpha-2 country code`, hint]]);
  });

  test('policy.residency countries are checked too, at the item', () => {
    const text = smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.1', stores: ['pii'] } }, { policy: { residency: { pii: ['NO', 'UK'] } } });
    const { diagnostics } = validateText(text);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([['FT322', 'a country of policy.residency.pii is "UK", which is not an ISO 3166-1 alpha-2 country code']]);
    expect(text.split('\n')[diagnostics[0]!.span!.start.line - 1]).toContain('UK');
  });
});

describe('residency fails closed', () => {
  const hub = { roles: ['hub'], endpoint: '192.0.2.1' };

  test('a stored data class that no rule names is an error at the stores item, with the rule to add', () => {
    const { diagnostics } = validateText(smallTopology({ hub: { ...hub, stores: ['pii', 'logs'] } }, { policy: { residency: { pii: ['NO'] } } }));
    expect(diagnostics.map((d) => [d.code, d.message, d.hint])).toEqual([
      ['FT323', 'host "hub" stores logs, which policy.residency does not name, and a data class without a residency rule may be stored nowhere', 'add policy.residency.logs: [NO] to allow it where it is'],
    ]);
  });

  test('without any policy, storing anything is an error; storing nothing needs no policy', () => {
    expect(errorCodes(smallTopology({ hub: { ...hub, stores: ['pii'] } }))).toEqual(['FT323']);
    expect(errorCodes(smallTopology({ hub }))).toEqual([]);
  });

  test('a rule for a class nobody stores is fine (a policy may be written before the data arrives)', () => {
    expect(errorCodes(smallTopology({ hub }, { policy: { residency: { pii: ['NO'] } } }))).toEqual([]);
  });

  test('a near miss is suggested', () => {
    const { diagnostics } = validateText(smallTopology({ hub: { ...hub, stores: ['pi'] } }, { policy: { residency: { pii: ['NO'] } } }));
    expect(diagnostics.map((d) => d.hint)).toEqual(['did you mean "pii"? Otherwise add policy.residency.pi: [NO] to allow it where it is']);
  });
});

describe('names that are also Object.prototype properties are ordinary names', () => {
  const hub = { roles: ['hub'], endpoint: '192.0.2.1' };

  test('stores: [constructor] without a rule is a clean FT323, with a rule it is checked like any class', () => {
    expect(errorCodes(smallTopology({ hub: { ...hub, stores: ['constructor'] } }))).toEqual(['FT323']);
    expect(errorCodes(smallTopology({ hub: { ...hub, stores: ['constructor'] } }, { policy: { residency: { constructor: ['DE'] } } }))).toEqual(['FT310']);
    expect(errorCodes(smallTopology({ hub: { ...hub, stores: ['constructor'] } }, { policy: { residency: { constructor: ['NO'] } } }))).toEqual([]);
  });

  test('a site reference "constructor" to no such site is one dangling reference, nothing more', () => {
    const { diagnostics } = validateText(smallTopology({ hub: { ...hub, site: 'constructor', stores: ['pii'] } }, { policy: { residency: { pii: ['NO'] } } }));
    expect(diagnostics.map((d) => d.code)).toEqual(['FT301']);
  });

  test('hosts, sites, roles, services, load balancers and data classes named constructor, backends named toString or hasOwnProperty, compile', () => {
    const compiled = compileText(
      smallTopology(
        { constructor: { ...hub, site: 'constructor', roles: ['hub', 'constructor'], stores: ['constructor'], terraform: { constructor: 'x' } }, app: {} },
        {
          sites: { constructor: { provider: 'aws', region: 'eu-north-1', country: 'SE' }, oslo: { provider: 'coolvds', region: 'oslo', country: 'NO' } },
          services: { constructor: { port: 5432, hosts: ['constructor'] } },
          loadBalancers: {
            constructor: {
              hosts: ['app'],
              frontends: [{ name: 'hasOwnProperty', bind: '127.0.0.1:5432', backend: 'toString' }],
              backends: { toString: { servers: [{ host: 'constructor', service: 'constructor' }] }, hasOwnProperty: { servers: [{ host: 'constructor', service: 'constructor' }] } },
            },
          },
          sysctl: { roles: { constructor: { 'vm.swappiness': 5 } } },
          policy: { residency: { constructor: ['SE'] } },
        },
      ),
    );
    const host = compiled.model.hosts.find((h) => h.name === 'constructor')!;
    expect(host.site.country).toBe('SE');
    expect(host.sysctl).toContainEqual(['vm.swappiness', '5']);
    const haproxy = compiled.files.find((f) => f.host === 'app' && f.hostPath === '/etc/haproxy/haproxy.cfg')!.content;
    expect(haproxy).toContain('backend toString\n');
    expect(haproxy).toMatch(/server constructor 10\.100\.0\.\d+:5432 check/);
  });

  test('a role named constructor with no sysctl of its own adds nothing', () => {
    const compiled = compileText(smallTopology({ hub: { ...hub }, app: { roles: ['constructor'] } }));
    expect(compiled.model.hosts.find((h) => h.name === 'app')!.sysctl).toEqual([]);
  });
});
