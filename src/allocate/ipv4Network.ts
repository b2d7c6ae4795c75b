// IPv4 networks as integer ranges, on top of ipaddr.js's parsing.
import ipaddr from 'ipaddr.js';

export interface Ipv4Network {
  cidr: string;
  prefixLength: number;
  /** The network address, as an unsigned 32-bit integer. */
  network: number;
  broadcast: number;
}

export function parseIpv4(text: string): number | undefined {
  // Four-part decimal only: ipaddr.js would otherwise accept "10.1" or octal and hex forms.
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
  return ipaddr.IPv4.parse(text).toByteArray().reduce((n, byte) => n * 256 + byte, 0);
}

export function formatIpv4(address: number): string {
  return ipaddr.fromByteArray([(address >>> 24) & 255, (address >>> 16) & 255, (address >>> 8) & 255, address & 255]).toString();
}

export type NetworkProblem = 'invalid' | 'host-bits-set' | 'too-small';

export function parseIpv4Network(cidr: string): Ipv4Network | NetworkProblem {
  const [addressText, prefixText] = cidr.split('/');
  const address = parseIpv4(addressText ?? '');
  const prefixLength = Number(prefixText);
  if (address === undefined || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) return 'invalid';
  // A /31 or /32 has no room for a hub and a spoke once network and broadcast are set aside.
  if (prefixLength > 30) return 'too-small';
  const size = 2 ** (32 - prefixLength);
  const network = Math.floor(address / size) * size;
  if (network !== address) return 'host-bits-set';
  return { cidr, prefixLength, network, broadcast: network + size - 1 };
}

export function usableAddressCount(net: Ipv4Network): number {
  return net.broadcast - net.network - 1;
}

export type AddressProblem = 'invalid' | 'outside' | 'network' | 'broadcast';

export function checkAddressInNetwork(text: string, net: Ipv4Network): AddressProblem | undefined {
  const address = parseIpv4(text);
  if (address === undefined) return 'invalid';
  if (address < net.network || address > net.broadcast) return 'outside';
  if (address === net.network) return 'network';
  if (address === net.broadcast) return 'broadcast';
  return undefined;
}
