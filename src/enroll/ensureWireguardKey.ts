// Runs ensureWireguardKey.sh on a host, as root: the host's WireGuard key is made there if missing
// (as `keys bootstrap` does), and only its public half comes back.
import { readFileSync } from 'node:fs';
import { commandLineError, type CommandLineDiagnostic } from '../diagnostics/diagnostic.js';
import { asRoot, shellQuote, SUDO_REFUSED, sudoRuleMissing } from '../apply/remoteScripts.js';
import { remoteText } from '../apply/remoteText.js';
import type { RemoteHost } from '../apply/sshConnection.js';

const ENSURE_WIREGUARD_KEY = readFileSync(new URL('./ensureWireguardKey.sh', import.meta.url), 'utf8');
const MISSING_WG = 'fortress:missing-tool wg';

/** 32 bytes of base64, as `wg pubkey` prints them. */
const WIREGUARD_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function ensureWireguardKeyScript(keyFile: string): string {
  return `KEYFILE=${shellQuote(keyFile)}\n${ENSURE_WIREGUARD_KEY}`;
}

export type WireguardKeyOutcome = { created: boolean; publicKey: string } | { diagnostic: CommandLineDiagnostic };

export async function ensureWireguardKey(remote: RemoteHost, host: string, user: string, keyFile: string, timeoutMs = 30_000): Promise<WireguardKeyOutcome> {
  const failed = (why: string, hint?: string): WireguardKeyOutcome => ({ diagnostic: commandLineError('FT536', `${host}: could not make the WireGuard key ${keyFile}: ${why}`, hint) });
  const result = await remote.exec(asRoot(user, 'bash -s'), { stdin: ensureWireguardKeyScript(keyFile), timeoutMs });
  if (result.code !== 0) {
    if (result.stderr.includes(SUDO_REFUSED)) return failed(sudoRuleMissing(user));
    if (result.stderr.includes(MISSING_WG)) return failed('`wg` is not installed on the host', 'install wireguard-tools on the host (the rendered cloud-init does), then run enroll again');
    return failed(remoteText(result.stderr) || `the script exited with ${result.code}`);
  }
  const [state, publicKey = '', ...rest] = result.stdout.trim().split('\n');
  if ((state !== 'created' && state !== 'existing') || !WIREGUARD_KEY.test(publicKey) || rest.length > 0) {
    // What it printed instead is not repeated: whatever it is, it is not for a log.
    return failed('the host did not answer with a public key (is `wg` on the host the WireGuard tool?)');
  }
  return { created: state === 'created', publicKey };
}
