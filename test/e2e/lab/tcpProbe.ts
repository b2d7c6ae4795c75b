// TCP connects from inside a lab host, many at once: one node process in the host's network and
// mount namespaces tries every target in parallel, each bounded by its own timeout, and reports what
// happened. A connect that a firewall drops times out; one it rejects (or that has no listener) is
// refused; a listener of the lab (tcpService) answers with its banner line, so the caller sees which
// listener it reached. Runs on the test's node binary with a clean environment, like tcpService.
import type { HostNamespace } from './hostNamespace.js';

export interface ProbeTarget {
  address: string;
  port: number;
}

export type ProbeOutcome = 'open' | 'timeout' | 'refused' | 'unreachable' | 'error';

export interface ProbeResult extends ProbeTarget {
  outcome: ProbeOutcome;
  /** The first line the listener wrote, when open. */
  banner?: string;
  /** The socket error code, when not open. */
  code?: string;
  ms: number;
}

const PROBER = `
const net = require('node:net');
const { targets, timeoutMs } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const classify = (code) => code === 'ECONNREFUSED' ? 'refused' : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable' : 'error';
const probe = ({ address, port }) => new Promise((resolve) => {
  const started = Date.now();
  let banner = '';
  let settled = false;
  const socket = net.connect({ host: address, port });
  const done = (result) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.destroy();
    resolve({ address, port, ms: Date.now() - started, ...result });
  };
  // The whole exchange is bounded: connect, then the listener's line (it writes one and closes).
  const timer = setTimeout(() => done(banner || connected ? { outcome: 'open', banner: banner.trim() } : { outcome: 'timeout' }), timeoutMs);
  let connected = false;
  socket.setEncoding('utf8');
  socket.on('connect', () => { connected = true; });
  socket.on('data', (chunk) => { banner += chunk; if (banner.includes('\\n')) done({ outcome: 'open', banner: banner.split('\\n')[0] }); });
  socket.on('end', () => done({ outcome: 'open', banner: banner.trim() }));
  socket.on('error', (error) => done(connected ? { outcome: 'open', banner: banner.trim(), code: error.code } : { outcome: classify(error.code), code: error.code }));
});
Promise.all(targets.map(probe)).then((results) => process.stdout.write(JSON.stringify(results)));
`;

/**
 * Connects from `host` to every target at once. `timeoutMs` bounds each connect (and the banner
 * after it); the process as a whole is killed well after that.
 */
export async function probeTcp(host: HostNamespace, targets: readonly ProbeTarget[], timeoutMs = 1_500): Promise<ProbeResult[]> {
  if (targets.length === 0) return [];
  if (targets.length > 500) throw new Error('at most 500 probes at once');
  const result = await host.run(['env', '-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`, process.execPath, '-e', PROBER], {
    input: JSON.stringify({ targets, timeoutMs }),
    timeoutMs: timeoutMs + 10_000,
  });
  if (result.code !== 0) throw new Error(`TCP probes from ${host.name} failed (exit ${result.code ?? 'killed'}): ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as ProbeResult[];
}

/** Probes until the target is open or `attempts` probes have failed; returns the last result. */
export async function probeUntilOpen(host: HostNamespace, target: ProbeTarget, attempts = 4, timeoutMs = 1_500): Promise<ProbeResult> {
  let last: ProbeResult | undefined;
  for (let i = 0; i < attempts; i++) {
    [last] = await probeTcp(host, [target], timeoutMs);
    if (last?.outcome === 'open') return last;
  }
  if (!last) throw new Error('no probe ran');
  return last;
}
