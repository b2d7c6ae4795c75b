// How a live host picks up a changed wg0.conf without dropping its tunnels: `wg syncconf` applies
// only the difference. The rendered file has no PrivateKey (PostUp loads it from the key file), and
// syncconf treats a missing PrivateKey as "no key", which wipes the live one and stops all traffic.
// apply's transaction (src/apply/transaction.sh) merges the key in; the lab runs that very function,
// taken from the script, so a key-less reload there fails the WireGuard lab.
import { readFileSync } from 'node:fs';

const INTERFACE = /^[a-zA-Z0-9_=+.-]{1,15}$/;

/** The reload_wireguard() function of apply's transaction script, as it is, with the function it calls to merge the preshared keys in. */
export function transactionReloadFunction(): string {
  const script = readFileSync(new URL('../../../src/apply/transaction.sh', import.meta.url), 'utf8');
  return ['with_preshared_keys', 'reload_wireguard'].map((name) => {
    const match = new RegExp(`^${name}\\(\\) \\{[^\\n]*\\n[\\s\\S]*?\\n\\}\\n`, 'm').exec(script);
    if (!match) throw new Error(`transaction.sh has no ${name}() function`);
    return match[0];
  }).join('');
}

/** A bash script that runs apply's reload on the host, as root: `bash -c <script>`. */
export function reloadKeepingKey(interfaceName: string): string {
  if (!INTERFACE.test(interfaceName)) throw new Error(`not a WireGuard interface name: ${interfaceName}`);
  return `IFACE=${interfaceName}\nKEYFILE=/etc/wireguard/${interfaceName}.key\n${transactionReloadFunction()}reload_wireguard\n`;
}

export const WG0_RELOAD_KEEPING_KEY = reloadKeepingKey('wg0');

/** The obvious reload, kept only to show what it does wrong: it leaves the interface without a key. */
export function reloadDroppingKey(interfaceName: string): string {
  if (!INTERFACE.test(interfaceName)) throw new Error(`not a WireGuard interface name: ${interfaceName}`);
  return `wg syncconf ${interfaceName} <(wg-quick strip ${interfaceName})`;
}
