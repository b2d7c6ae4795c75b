// What one host reported in status's round trip, parsed, pure: apply's part (files, keys, the last
// transaction) by apply's own parser, and status's lines after it. Every text from the host is made
// plain by remoteText before it is kept.
import { parseRemoteState, type RemoteState } from '../apply/hostPlan.js';
import { remoteText } from '../apply/remoteText.js';

/** A peer as `wg show <iface> dump` lists it (the preshared key left on the host). */
export interface LivePeer {
  publicKey: string;
  /** host:port, or undefined before the peer was ever heard from and none is configured. */
  endpoint?: string;
  allowedIps: string[];
  /** Seconds since the epoch, on the host's clock; 0: never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
  /** Seconds; 0: off. */
  persistentKeepalive: number;
}

export interface LiveServer {
  backend: string;
  server: string;
  /** HAProxy's word: UP, DOWN, "UP 1/3" (going down), "DOWN 1/2" (coming up), MAINT, NOLB, DRAIN, "no check". */
  status: string;
  checkStatus: string;
  /** Seconds since the server last changed state. */
  lastChangeSeconds?: number;
  backup: boolean;
}

export type FirewallState = 'equal' | 'different' | 'missing' | 'unknown';

export interface HostObservation {
  state: RemoteState;
  /** The host's clock when it was read, seconds since the epoch: handshake ages are taken against it. */
  now?: number;
  /** up: the interface exists and its peers were read; down: there is no such interface. */
  wireguard: 'up' | 'down' | 'unreadable' | 'not read';
  peers: LivePeer[];
  /** Round-trip times through the tunnel in seconds, in the order measured. */
  rttSamples: number[];
  /** Why sampling stopped early, when it did. */
  rttFailure?: 'connect failed' | 'timed out';
  servers: LiveServer[];
  haproxyError?: string;
  firewall?: { state: FirewallState; detail?: string; differences: string[] };
}

export function parseHostObservation(output: string): HostObservation {
  const observation: HostObservation = { state: parseRemoteState(output), wireguard: 'not read', peers: [], rttSamples: [], servers: [] };
  for (const line of output.split('\n')) {
    const space = line.indexOf(' ');
    const word = space === -1 ? line : line.slice(0, space);
    const rest = space === -1 ? '' : line.slice(space + 1);
    switch (word) {
      case 'now': {
        const now = Number(rest);
        if (Number.isInteger(now) && now > 0) observation.now = now;
        break;
      }
      case 'wg':
        if (rest === 'up' || rest === 'down' || rest === 'unreadable') observation.wireguard = rest;
        break;
      case 'peer': {
        const peer = parsePeer(rest);
        if (peer) observation.peers.push(peer);
        break;
      }
      case 'rtt': {
        const micros = Number(rest);
        if (Number.isInteger(micros) && micros >= 0) observation.rttSamples.push(micros / 1e6);
        break;
      }
      case 'rtt-failed':
        observation.rttFailure = 'connect failed';
        break;
      case 'rtt-timeout':
        observation.rttFailure = 'timed out';
        break;
      case 'haproxy-error':
        observation.haproxyError = remoteText(rest);
        break;
      case 'firewall': {
        const [state = '', ...detail] = rest.split(' ');
        if (state === 'equal' || state === 'different' || state === 'missing' || state === 'unknown') {
          observation.firewall = { state, differences: [], ...(detail.length > 0 ? { detail: remoteText(detail.join(' ')) } : {}) };
        }
        break;
      }
      case 'firewall-diff':
        observation.firewall?.differences.push(remoteText(rest));
        break;
      default:
        // HAProxy's lines are tab-separated: its status words hold spaces ("UP 1/3", "no check").
        if (line.startsWith('haproxy\t')) {
          const server = parseServer(line.split('\t').slice(1));
          if (server) observation.servers.push(server);
        }
    }
  }
  return observation;
}

const WG_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/;

function parsePeer(text: string): LivePeer | undefined {
  const [publicKey = '', endpoint = '', allowed = '', handshake = '', rx = '', tx = '', keepalive = ''] = text.split(' ');
  if (!WG_KEY.test(publicKey)) return undefined;
  const count = (value: string) => (/^\d+$/.test(value) ? Number(value) : 0);
  return {
    publicKey,
    ...(endpoint && endpoint !== '(none)' ? { endpoint: remoteText(endpoint) } : {}),
    allowedIps: allowed && allowed !== '(none)' ? allowed.split(',').map((a) => remoteText(a)).filter(Boolean) : [],
    latestHandshake: count(handshake),
    rxBytes: count(rx),
    txBytes: count(tx),
    persistentKeepalive: count(keepalive),
  };
}

function parseServer([backend = '', server = '', status = '', checkStatus = '', lastChange = '', backup = '']: string[]): LiveServer | undefined {
  if (!backend || !server) return undefined;
  return {
    backend: remoteText(backend),
    server: remoteText(server),
    status: remoteText(status),
    checkStatus: remoteText(checkStatus),
    ...(/^\d+$/.test(lastChange) ? { lastChangeSeconds: Number(lastChange) } : {}),
    backup: backup === '1',
  };
}
