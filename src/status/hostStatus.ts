// One host's status, pure: what the rendered tree says it should be (StatusTarget) against what it
// reported (HostObservation), as facts and a list of problems. Problems that fail the command (exit
// 1) are errors: the host is unreachable, has drifted (files, the last transaction, live peers, the
// firewall table) or its tunnel is down. What needs a look without meaning the host is off its
// rendered state (a stale handshake, a backend server down, a check that could not run) is a warning.
import { isIP } from 'node:net';
import { ROLE_FILES } from '../apply/hostPlan.js';
import type { TransactionOutcome } from '../apply/remoteScripts.js';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';
import type { FirewallState, HostObservation, LivePeer } from './hostObservation.js';
import { rttStatistics, type RttStatistics } from './rttStatistics.js';
import type { RenderedPeer, StatusTarget } from './statusTargets.js';

/** What a problem counts as: the first three make the command exit 1 (as errors). */
export type ProblemKind = 'unreachable' | 'drift' | 'tunnel' | 'handshake' | 'backend' | 'check' | 'transaction';

export interface StatusProblem {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  kind: ProblemKind;
  message: string;
}

export type FileState = 'ok' | 'changed' | 'missing' | 'left behind';

export interface PeerStatus {
  /** The host the key belongs to, or the key when no host of the rendered tree has it. */
  name: string;
  publicKey: string;
  state: 'ok' | 'missing' | 'extra' | 'different';
  /** What differs, for 'different': "AllowedIPs 10.0.0.9/32, rendered 10.0.0.2/32". */
  differences: string[];
  /** Live values, when the peer is on the interface. */
  endpoint?: string;
  allowedIps?: string[];
  /** Seconds since the latest handshake on the host's clock; null: never. Absent when not on the interface. */
  handshakeAgeSeconds?: number | null;
  rxBytes?: number;
  txBytes?: number;
}

export interface ServerStatus {
  backend: string;
  server: string;
  status: string;
  up: boolean;
  checkStatus?: string;
  lastChangeSeconds?: number;
  backup: boolean;
}

export interface HostStatus {
  host: string;
  isHub: boolean;
  reachable: boolean;
  /** Wall time from connecting to the parsed answer. */
  seconds: number;
  problems: StatusProblem[];
  files: { path: string; state: FileState }[];
  lastTransaction?: { tx: string; outcome: TransactionOutcome; detail: string; running: boolean };
  wireguard?: { interface: string; state: HostObservation['wireguard']; peers: PeerStatus[] };
  tunnel?: { to: string; address: string; port: number; up: boolean; samples: number[]; statistics?: RttStatistics; failure?: string };
  haproxy?: { socket?: string; error?: string; servers: ServerStatus[] };
  firewall?: { state: FirewallState; detail?: string; differences: string[] };
}

export interface StatusOptions {
  samples: number;
}

/**
 * WireGuard drops a session 180 s after its handshake (REJECT_AFTER_TIME) and, with a keepalive,
 * renews it every 2 minutes: a peer with a keepalive and an older handshake has no working tunnel.
 */
export const STALE_HANDSHAKE_SECONDS = 180;

export function unreachableHost(target: StatusTarget, message: string, seconds: number): HostStatus {
  return {
    host: target.job.host,
    isHub: target.job.isHub,
    reachable: false,
    seconds,
    problems: [{ code: 'FT540', severity: 'error', kind: 'unreachable', message }],
    files: [],
  };
}

export function hostStatus(target: StatusTarget, observed: HostObservation, seconds: number): HostStatus {
  const { job } = target;
  const problems: StatusProblem[] = [];
  const problem = (code: DiagnosticCode, kind: ProblemKind, message: string) =>
    problems.push({ code, severity: kind === 'unreachable' || kind === 'drift' || kind === 'tunnel' ? 'error' : 'warning', kind, message });
  const status: HostStatus = { host: job.host, isHub: job.isHub, reachable: true, seconds, problems, files: [] };

  // Managed files against rendered/, and a role file the host should no longer have.
  for (const file of job.files) {
    const onHost = observed.state.hashes.get(file.hostPath);
    const state: FileState = onHost === undefined ? 'missing' : onHost === file.sha256 ? 'ok' : 'changed';
    status.files.push({ path: file.hostPath, state });
    if (state === 'changed') problem('FT541', 'drift', `${file.hostPath} differs from rendered/ (changed on the host, or not applied)`);
    if (state === 'missing') problem('FT541', 'drift', `${file.hostPath} is missing on the host`);
  }
  for (const role of ROLE_FILES) {
    if (job.files.some((f) => f.hostPath === role.hostPath) || observed.state.hashes.get(role.hostPath) === undefined) continue;
    status.files.push({ path: role.hostPath, state: 'left behind' });
    problem('FT541', 'drift', `${role.hostPath} is on the host, but rendered/ has none for it (a role the host no longer has)`);
  }

  const last = observed.state.last;
  if (last) {
    status.lastTransaction = { tx: last.tx, outcome: last.outcome, detail: last.detail, running: last.busy };
    const why = last.detail ? ` (${last.detail})` : '';
    if (last.busy) problem('FT550', 'transaction', `a transaction (${last.tx}) is running on the host now: what status read may be mid-change`);
    else if (last.outcome === 'running') problem('FT542', 'drift', `the last transaction ${last.tx} did not finish: the files may be anything until the next apply`);
    else if (last.outcome === 'ROLLBACK-FAILED') problem('FT542', 'drift', `the last transaction ${last.tx} could not roll back${why}`);
    else if (last.outcome === 'rolled-back') problem('FT550', 'transaction', `the last transaction ${last.tx} was rolled back${why}`);
  }

  if (target.peers) {
    const wg = job.interfaceName;
    const peers = observed.wireguard === 'up' ? comparePeers(target.peers, observed.peers, observed.now) : [];
    status.wireguard = { interface: wg, state: observed.wireguard, peers };
    if (observed.wireguard === 'down') problem('FT545', 'tunnel', `${wg} is not up`);
    if (observed.wireguard === 'unreadable') problem('FT545', 'tunnel', `\`wg show ${wg} dump\` fails on the host`);
    for (const peer of peers) {
      if (peer.state === 'missing') problem('FT543', 'drift', `peer ${peer.name} is in rendered/ but not on ${wg}`);
      if (peer.state === 'extra') problem('FT543', 'drift', `peer ${peer.name} is on ${wg} but not in rendered/`);
      if (peer.state === 'different') problem('FT543', 'drift', `peer ${peer.name}: ${peer.differences.join('; ')}`);
      const rendered = target.peers.find((p) => p.publicKey === peer.publicKey);
      if (rendered && rendered.persistentKeepalive > 0 && peer.state !== 'missing' && peer.handshakeAgeSeconds !== undefined) {
        const age = peer.handshakeAgeSeconds;
        if (age === null) problem('FT546', 'handshake', `peer ${peer.name}: no handshake yet`);
        else if (age > STALE_HANDSHAKE_SECONDS) problem('FT546', 'handshake', `peer ${peer.name}: last handshake ${formatAge(age)} ago`);
      }
    }
  }

  if (target.tunnel) {
    const statistics = rttStatistics(observed.rttSamples);
    const up = observed.wireguard === 'up' && statistics !== undefined;
    const failure = observed.rttFailure === 'connect failed' ? 'the TCP connection failed' : observed.rttFailure === 'timed out' ? 'no answer in time' : undefined;
    status.tunnel = {
      to: target.tunnel.host,
      address: target.tunnel.address,
      port: target.tunnel.port,
      up,
      samples: observed.rttSamples,
      ...(statistics ? { statistics } : {}),
      ...(failure ? { failure } : {}),
    };
    if (observed.wireguard === 'up' && !statistics) {
      problem('FT545', 'tunnel', `no TCP connection through the tunnel to ${target.tunnel.host} at ${target.tunnel.address}:${target.tunnel.port}${failure ? ` (${failure})` : ''}`);
    }
  }

  if (target.haproxy) {
    const servers: ServerStatus[] = observed.servers.map((s) => ({
      backend: s.backend,
      server: s.server,
      status: s.status,
      up: isServerUp(s.status),
      ...(s.checkStatus ? { checkStatus: s.checkStatus } : {}),
      ...(s.lastChangeSeconds === undefined ? {} : { lastChangeSeconds: s.lastChangeSeconds }),
      backup: s.backup,
    }));
    const error = target.haproxy.socket === undefined ? 'the rendered haproxy.cfg has no `stats socket` line' : observed.haproxyError;
    status.haproxy = { ...(target.haproxy.socket === undefined ? {} : { socket: target.haproxy.socket }), ...(error ? { error } : {}), servers };
    if (error) problem('FT548', 'check', `HAProxy's backend servers cannot be read: ${error}`);
    else {
      for (const s of servers.filter((s) => !s.up)) {
        problem('FT547', 'backend', `HAProxy server ${s.backend}/${s.server}${s.backup ? ' (backup)' : ''} is ${s.status}${s.checkStatus ? ` (check ${s.checkStatus})` : ''}`);
      }
      for (const s of target.haproxy.servers.filter((want) => !servers.some((live) => live.backend === want.backend && live.server === want.server))) {
        problem('FT547', 'backend', `HAProxy runs no server ${s.backend}/${s.server}, which the rendered haproxy.cfg has (not reloaded since?)`);
      }
    }
  }

  if (target.firewall !== undefined) {
    const firewall = observed.firewall ?? { state: 'unknown' as const, detail: 'the host did not say', differences: [] };
    status.firewall = firewall;
    if (firewall.state === 'missing') problem('FT544', 'drift', 'no table inet fortress is loaded');
    if (firewall.state === 'different') problem('FT544', 'drift', `the live table inet fortress differs from the rendered firewall.nft${firewall.differences.length ? `: ${firewall.differences.slice(0, 3).join('; ')}${firewall.differences.length > 3 ? '; …' : ''}` : ''}`);
    if (firewall.state === 'unknown') problem('FT549', 'check', `the firewall could not be compared${firewall.detail ? `: ${firewall.detail}` : ''}`);
  }
  // Errors before warnings, each in the order checked.
  problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return status;
}

/** Rendered peers against the live ones, in the rendered order, then the extra ones. */
export function comparePeers(rendered: readonly RenderedPeer[], live: readonly LivePeer[], now: number | undefined): PeerStatus[] {
  const liveByKey = new Map(live.map((p) => [p.publicKey, p]));
  const renderedKeys = new Set(rendered.map((p) => p.publicKey));
  const facts = (p: LivePeer) => ({
    ...(p.endpoint === undefined ? {} : { endpoint: p.endpoint }),
    allowedIps: p.allowedIps,
    handshakeAgeSeconds: p.latestHandshake === 0 ? null : now === undefined ? null : Math.max(0, now - p.latestHandshake),
    rxBytes: p.rxBytes,
    txBytes: p.txBytes,
  });
  const statuses: PeerStatus[] = rendered.map((want) => {
    const have = liveByKey.get(want.publicKey);
    if (!have) return { name: want.name, publicKey: want.publicKey, state: 'missing', differences: [] };
    const differences: string[] = [];
    if (!sameNetworks(want.allowedIps, have.allowedIps)) differences.push(`AllowedIPs ${have.allowedIps.join(', ') || 'none'}, rendered ${want.allowedIps.join(', ') || 'none'}`);
    if (want.endpoint !== undefined && !endpointMatches(want.endpoint, have.endpoint)) differences.push(`endpoint ${have.endpoint ?? 'none'}, rendered ${want.endpoint}`);
    if (want.persistentKeepalive !== have.persistentKeepalive) differences.push(`keepalive ${have.persistentKeepalive || 'off'}, rendered ${want.persistentKeepalive || 'off'}`);
    return { name: want.name, publicKey: want.publicKey, state: differences.length > 0 ? 'different' : 'ok', differences, ...facts(have) };
  });
  for (const extra of live.filter((p) => !renderedKeys.has(p.publicKey))) {
    statuses.push({ name: extra.publicKey, publicKey: extra.publicKey, state: 'extra', differences: [], ...facts(extra) });
  }
  return statuses;
}

function sameNetworks(a: readonly string[], b: readonly string[]): boolean {
  const norm = (list: readonly string[]) => [...new Set(list.map((n) => n.trim().toLowerCase()))].sort().join(',');
  return norm(a) === norm(b);
}

/**
 * WireGuard roams: a peer's live endpoint is wherever its last authenticated packet came from. A
 * rendered endpoint that is an address must be the live one; a DNS name is resolved when the
 * interface comes up, so only its port can be held against the live endpoint here.
 */
export function endpointMatches(rendered: string, live: string | undefined): boolean {
  if (live === undefined) return false;
  const split = (endpoint: string) => {
    const match = /^\[?(.*?)\]?:(\d+)$/.exec(endpoint);
    return match ? { host: match[1]!.toLowerCase(), port: match[2]! } : { host: endpoint.toLowerCase(), port: '' };
  };
  const want = split(rendered);
  const have = split(live);
  return isIP(want.host) === 0 ? want.port === have.port : want.host === have.host && want.port === have.port;
}

/** HAProxy's UP, and "UP 1/3" (up, with failing checks counting down); everything else serves nothing. */
export function isServerUp(status: string): boolean {
  return /^UP\b/.test(status) || status === 'no check';
}

export function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** The three ways a host fails the command. */
export function hostVerdict(status: HostStatus): { unreachable: boolean; drifted: boolean; tunnelDown: boolean; ok: boolean } {
  const unreachable = !status.reachable;
  const drifted = status.problems.some((p) => p.kind === 'drift');
  const tunnelDown = status.problems.some((p) => p.kind === 'tunnel');
  return { unreachable, drifted, tunnelDown, ok: !unreachable && !drifted && !tunnelDown };
}
