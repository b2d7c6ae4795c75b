// IPv4 and IPv6 networks users write (a frontend's `allow`), parsed by ipaddr.js: validation reports
// what is wrong with one, and the model keeps the normalized form the firewall is rendered from.
import ipaddr from 'ipaddr.js';

export interface IpNetwork {
  family: 4 | 6;
  /** Normalized: dotted decimal, or RFC 5952 IPv6 (lower case, zeros compressed), then /prefix. */
  cidr: string;
  bytes: number[];
  prefixLength: number;
}

export type IpNetworkProblem = { problem: 'invalid' } | { problem: 'host-bits-set'; network: string };

export function parseIpNetwork(text: string): IpNetwork | IpNetworkProblem {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? '' : text.slice(0, slash);
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return { problem: 'invalid' };
  const prefixLength = Number(prefixText);
  // Four-part decimal only: ipaddr.js would also read "10.1" or "0x0a.0.0.1" as an IPv4 address.
  const family = ipaddr.IPv4.isValidFourPartDecimal(addressText) ? 4 : !addressText.includes('%') && ipaddr.IPv6.isValid(addressText) ? 6 : undefined;
  if (family === undefined || prefixLength > (family === 4 ? 32 : 128)) return { problem: 'invalid' };
  const address = ipaddr.parse(addressText);
  const network = family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  const cidr = `${network.toString()}/${prefixLength}`;
  if (network.toString() !== address.toString()) return { problem: 'host-bits-set', network: cidr };
  return { family, cidr, bytes: network.toByteArray(), prefixLength };
}

export function isIpNetwork(parsed: IpNetwork | IpNetworkProblem): parsed is IpNetwork {
  return !('problem' in parsed);
}

/** IPv4 before IPv6, then by address, then wider networks first. */
export function compareIpNetworks(a: IpNetwork, b: IpNetwork): number {
  if (a.family !== b.family) return a.family - b.family;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  return a.prefixLength - b.prefixLength;
}
