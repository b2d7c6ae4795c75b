// A small valid topology for unit tests, with keys made at run time.
import { stringify } from 'yaml';
import { generateKeyPair } from '../../bench/generateTopology.mjs';

export interface SmallHost {
  site?: string;
  roles?: string[];
  endpoint?: string;
  meshAddress?: string;
  stores?: string[];
  sysctl?: Record<string, string | number>;
  terraform?: Record<string, string | number | boolean>;
}

export function smallTopology(hosts: Record<string, SmallHost>, extra: Record<string, unknown> = {}, mesh: Record<string, unknown> = {}): string {
  return stringify({
    version: 1,
    name: 'small',
    mesh: { cidr: '10.100.0.0/24', ...mesh },
    sites: {
      oslo: { provider: 'coolvds', region: 'oslo', country: 'NO' },
      frankfurt: { provider: 'aws', region: 'eu-central-1', country: 'DE' },
    },
    hosts: Object.fromEntries(Object.entries(hosts).map(([name, h]) => [name, { site: 'oslo', ...h, publicKey: generateKeyPair().publicKey }])),
    ...extra,
  });
}
