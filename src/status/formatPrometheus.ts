// `fortress status --format prometheus`: the Prometheus text exposition format (version 0.0.4), for
// node-exporter's textfile collector or a push. Every family has HELP and TYPE lines, label values
// are escaped (backslash, double quote, newline), and a host that could not be read has only
// fortress_host_up 0: no sample says what nobody measured.
import type { StatusReport } from './statusReport.js';

interface Family {
  name: string;
  type: 'gauge' | 'counter' | 'summary';
  help: string;
  samples: { suffix?: string; labels: Record<string, string>; value: number }[];
}

export function formatPrometheus(report: StatusReport): string {
  const family = (name: string, type: Family['type'], help: string): Family => ({ name, type, help, samples: [] });
  const up = family('fortress_host_up', 'gauge', 'Whether fortress status could reach the host over SSH and read it (1) or not (0).');
  const drift = family('fortress_host_drift', 'gauge', 'Whether a managed file on the host differs from rendered/ (1: changed, missing, or left behind by a removed role) or not (0).');
  const tunnelUp = family('fortress_tunnel_up', 'gauge', "Whether the host's WireGuard interface is up and, on hosts other than the hub, a TCP connection through it reaches the hub (1) or not (0).");
  const handshake = family('fortress_peer_handshake_age_seconds', 'gauge', 'Seconds since the latest WireGuard handshake with the peer, on the host clock; +Inf when there was none.');
  const transfer = family('fortress_peer_transfer_bytes', 'counter', 'Bytes received from (direction="rx") and sent to (direction="tx") the peer since the interface came up.');
  const rtt = family('fortress_tunnel_rtt_seconds', 'summary', 'TCP connect time through the tunnel to the hub, measured on the host: quantile 0 is the minimum, 0.5 the median, 1 the maximum of the samples.');
  const jitter = family('fortress_tunnel_jitter_seconds', 'gauge', 'Mean absolute difference between consecutive round-trip samples through the tunnel.');
  const backend = family('fortress_backend_up', 'gauge', 'Whether HAProxy on the load-balancer host lb reports the backend server UP (1) or not (0), from its stats socket.');
  const firewall = family('fortress_firewall_drift', 'gauge', 'Whether the live nftables table inet fortress differs from the rendered firewall.nft or is missing (1) or equals it (0).');

  for (const h of report.hosts) {
    const host = { host: h.host };
    up.samples.push({ labels: host, value: h.reachable ? 1 : 0 });
    if (!h.reachable) continue;
    for (const f of h.files) drift.samples.push({ labels: { ...host, file: f.path }, value: f.state === 'ok' ? 0 : 1 });
    if (h.wireguard || h.tunnel) tunnelUp.samples.push({ labels: host, value: h.tunnelDown ? 0 : 1 });
    for (const p of h.wireguard?.peers ?? []) {
      if (p.handshakeAgeSeconds === undefined) continue;
      const peer = { ...host, peer: p.name };
      handshake.samples.push({ labels: peer, value: p.handshakeAgeSeconds ?? Infinity });
      transfer.samples.push({ labels: { ...peer, direction: 'rx' }, value: p.rxBytes ?? 0 });
      transfer.samples.push({ labels: { ...peer, direction: 'tx' }, value: p.txBytes ?? 0 });
    }
    const s = h.tunnel?.statistics;
    if (s && h.tunnel) {
      rtt.samples.push({ labels: { ...host, quantile: '0' }, value: s.min }, { labels: { ...host, quantile: '0.5' }, value: s.median }, { labels: { ...host, quantile: '1' }, value: s.max });
      rtt.samples.push({ suffix: '_sum', labels: host, value: h.tunnel.samples.reduce((sum, x) => sum + x, 0) }, { suffix: '_count', labels: host, value: s.samples });
      jitter.samples.push({ labels: host, value: s.jitter });
    }
    for (const server of h.haproxy?.servers ?? []) backend.samples.push({ labels: { lb: h.host, backend: server.backend, server: server.server }, value: server.up ? 1 : 0 });
    if (h.firewall && h.firewall.state !== 'unknown') firewall.samples.push({ labels: host, value: h.firewall.state === 'equal' ? 0 : 1 });
  }
  return [up, drift, tunnelUp, handshake, transfer, rtt, jitter, backend, firewall]
    .map((f) => [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`, ...f.samples.map((s) => `${f.name}${s.suffix ?? ''}${labels(s.labels)} ${value(s.value)}`)].join('\n'))
    .join('\n')
    .concat('\n');
}

function labels(set: Record<string, string>): string {
  const pairs = Object.entries(set).map(([name, v]) => `${name}="${escapeLabelValue(v)}"`);
  return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
}

export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function value(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}
