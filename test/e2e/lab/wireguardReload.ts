// How a live host picks up a changed wg0.conf without dropping its tunnels: `wg syncconf` applies
// only the difference. The rendered file has no PrivateKey (PostUp loads it from the key file), and
// syncconf treats a missing PrivateKey as "no key", which wipes the live one and stops all traffic.
// So the key file is appended as a second [Interface] section; wg's config parser accepts that and
// merges it into the interface. The key is read by `cat` and written into the pipe by bash's
// builtin printf, so it appears in no process's argv, and nothing touches disk.

const INTERFACE = /^[a-zA-Z0-9_=+.-]{1,15}$/;

/** A bash script (process substitution): run it as `bash -c <script>` on the host, as root. */
export function reloadKeepingKey(interfaceName: string): string {
  if (!INTERFACE.test(interfaceName)) throw new Error(`not a WireGuard interface name: ${interfaceName}`);
  return `wg syncconf ${interfaceName} <(wg-quick strip ${interfaceName}; printf '[Interface]\\nPrivateKey = %s\\n' "$(cat /etc/wireguard/${interfaceName}.key)")`;
}

export const WG0_RELOAD_KEEPING_KEY = reloadKeepingKey('wg0');

/** The obvious reload, kept only to show what it does wrong: it leaves the interface without a key. */
export function reloadDroppingKey(interfaceName: string): string {
  if (!INTERFACE.test(interfaceName)) throw new Error(`not a WireGuard interface name: ${interfaceName}`);
  return `wg syncconf ${interfaceName} <(wg-quick strip ${interfaceName})`;
}
