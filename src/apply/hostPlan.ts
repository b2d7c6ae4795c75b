// apply's plan for one host, pure: what the rendered tree wants there, against what the host reported
// in one round trip. `apply --dry-run` prints these; apply carries out exactly these, and the host
// refuses under its lock when a file is no longer what the plan was made against.
import type { ManifestEntry } from '../emit/manifest.js';
import { hostDisruption, interfaceLines, wireguardDisruption, type DisruptionClass } from '../render/wireguard/disruption.js';
import { TRANSACTION_OUTCOMES, type TransactionOutcome } from './remoteScripts.js';

export interface RemoteState {
  /** target path -> sha256, or undefined when the file is missing */
  hashes: Map<string, string | undefined>;
  /** The key lines of the live config's [Interface] section, when there is one. */
  interfaceLines?: string;
  /** The public key of the live WireGuard interface, when it is up. */
  liveKey?: string;
  /** The public key of the key file activation loads, when there is one. */
  keyFileKey?: string;
  /** The public key of the new key `fortress keys rotate` left beside it, when there is one. */
  nextKey?: string;
  /** How the host's last transaction ended, and whether one holds the lock right now. */
  last?: { tx: string; outcome: TransactionOutcome; detail: string; busy: boolean };
}

/** A file of the rendered tree for one host, as apply carries it from the manifest to the host. */
export interface PlannedFile {
  path: string; // inside rendered/
  hostPath: string;
  mode: string;
  reload: ManifestEntry['reload'];
  content: string;
  /** The content's hash, as the manifest records it. */
  sha256: string;
}

/** One step of a host's plan: install a file, or remove one of a role the host no longer has. */
export interface PlannedChange extends PlannedFile {
  action: 'put' | 'remove';
  /** The hash of the host's copy when it was read (undefined: absent); the host re-checks it under its lock. */
  expected: string | undefined;
}

/** Files a host has only in some roles; when the topology stops rendering one, apply removes it. */
export const ROLE_FILES: readonly Pick<PlannedFile, 'hostPath' | 'reload'>[] = [{ hostPath: '/etc/haproxy/haproxy.cfg', reload: 'haproxy' }];

export interface HostPlan {
  host: string;
  isHub: boolean;
  /** What differs from the host, in the order it is installed. */
  changes: PlannedChange[];
  /** What the WireGuard part of the change does to the tunnel. */
  wireguard: DisruptionClass;
  haproxy: 'none' | 'start' | 'reload' | 'stop';
  disruption: DisruptionClass;
  /** Why this host cannot be applied as it is (nothing is sent to it). */
  refusal?: string;
  /** Something the operator should know about the host's history, such as an unfinished transaction. */
  notice?: string;
  /** The topology names the new key `keys rotate` made: the host switches to it, live. */
  rotateKey: boolean;
}

export function parseRemoteState(output: string): RemoteState {
  const hashes = new Map<string, string | undefined>();
  const state: RemoteState = { hashes };
  for (const line of output.split('\n')) {
    const [kind, first, ...rest] = line.split(' ');
    if (kind === 'file' && first !== undefined) hashes.set(rest.join(' '), first === '-' ? undefined : first);
    if (kind === 'interface' && first !== undefined) state.interfaceLines = Buffer.from(first, 'base64').toString('utf8');
    if (kind === 'key' && first) state.liveKey = first;
    if (kind === 'keyfile' && first) state.keyFileKey = first;
    if (kind === 'nextkey' && first) state.nextKey = first;
    const [tx, outcome, ...detail] = rest;
    if (kind === 'last' && tx && (TRANSACTION_OUTCOMES as readonly string[]).includes(outcome ?? '')) {
      state.last = { tx, outcome: outcome as TransactionOutcome, detail: detail.join(' '), busy: first === 'busy' };
    }
  }
  return state;
}

/** Every path the host is asked about: the files it should have, and role files it may still have. */
export function pathsToRead(wanted: readonly PlannedFile[]): string[] {
  return [...new Set([...wanted.map((f) => f.hostPath), ...ROLE_FILES.map((f) => f.hostPath)])];
}

export function planHost(host: string, isHub: boolean, publicKey: string, wanted: readonly PlannedFile[], remote: RemoteState): HostPlan {
  const { notice, reapply } = remote.last === undefined ? firstApply(wanted, remote) : lastTransaction(remote);
  // A transaction that did not end cleanly may have left anything: every file is installed and
  // activated again, and the host verified, rather than trusting hashes that happen to match.
  const differs = (f: PlannedFile) => reapply || remote.hashes.get(f.hostPath) !== f.sha256;
  const changes: PlannedChange[] = wanted.filter(differs).map((f) => ({ ...f, action: 'put', expected: remote.hashes.get(f.hostPath) }));
  for (const role of ROLE_FILES) {
    const onHost = remote.hashes.get(role.hostPath);
    if (onHost === undefined || wanted.some((f) => f.hostPath === role.hostPath)) continue;
    changes.push({ path: '', hostPath: role.hostPath, mode: '0644', reload: role.reload, content: '', sha256: '', action: 'remove', expected: onHost });
  }

  const wg = changes.find((f) => f.reload === 'wireguard');
  // A rotation: the key file and the live interface still hold the old key, and the new one waits beside them.
  const rotateKey = remote.nextKey === publicKey && (remote.keyFileKey ?? remote.liveKey) !== publicKey;
  const keyChanged = !rotateKey && remote.liveKey !== undefined && remote.liveKey !== publicKey;
  const wireguard = wireguardDisruption({
    configChanged: wg !== undefined || rotateKey,
    interfaceBefore: remote.interfaceLines,
    interfaceAfter: wg ? interfaceLines(wg.content) : (remote.interfaceLines ?? ''),
    keyChanged,
  });
  const haproxyFile = changes.find((f) => f.reload === 'haproxy');
  const haproxy = !haproxyFile ? 'none' : haproxyFile.action === 'remove' ? 'stop' : haproxyFile.expected === undefined ? 'start' : 'reload';
  const plan: HostPlan = { host, isHub, changes, wireguard, haproxy, disruption: hostDisruption(wireguard, changes.length > 0 || rotateKey), rotateKey };

  const refusal = rotateKey
    ? undefined
    : keyChanged
    ? `identity: this host's WireGuard key is ${remote.liveKey}, but the topology says ${publicKey}`
    : wg && remote.keyFileKey !== undefined && remote.keyFileKey !== publicKey
      ? `identity: the key file on the host is the key of ${remote.keyFileKey}, but the topology says ${publicKey}`
      : undefined;
  if (refusal) plan.refusal = refusal;
  if (notice) plan.notice = notice;
  return plan;
}

/**
 * A host no apply has run on yet. If its first boot (cloud-init.yaml) installed the files but started
 * nothing, because the key on the host was not yet the topology's (a new host waiting for
 * `fortress enroll`), the hashes match although nothing is active: while its interface is down, every
 * file is installed and activated as on a host that had none.
 */
function firstApply(wanted: readonly PlannedFile[], remote: RemoteState): { notice?: string; reapply: boolean } {
  const installed = wanted.some((f) => remote.hashes.get(f.hostPath) === f.sha256);
  if (!installed || remote.liveKey !== undefined) return { reapply: false };
  return { reapply: true, notice: 'first apply to this host, whose files are in place but whose interface is down (a first boot that waited for enroll): installing and activating every file' };
}

/** What the host's last transaction tells: worth a word when it did not apply, a full re-apply when it did not end cleanly. */
function lastTransaction(remote: RemoteState): { notice?: string; reapply: boolean } {
  const last = remote.last;
  if (!last || last.busy) return { reapply: false }; // one running now is another apply's, not a failure
  const why = last.detail ? ` (${last.detail})` : '';
  switch (last.outcome) {
    case 'running':
      return { reapply: true, notice: `the last transaction ${last.tx} did not finish; re-applying every file and verifying` };
    case 'ROLLBACK-FAILED':
      return { reapply: true, notice: `the last transaction ${last.tx} could not roll back${why}; re-applying every file and verifying` };
    case 'rolled-back':
      return { reapply: false, notice: `the last transaction ${last.tx} was rolled back${why}` };
    default:
      return { reapply: false };
  }
}
