// `fortress status` for a terminal: a summary line, then a table per host, hosts with problems first,
// and in each table the problems first. Every text from a host was made plain by remoteText.
import { formatAge } from './hostStatus.js';
import { bytes, milliseconds, problemsFirst, summaryLine, verdictWords, type StatusReport } from './statusReport.js';

type Host = StatusReport['hosts'][number];

export function formatStatusText(report: StatusReport): string {
  const notes = report.renderedUpToDate ? [] : ['note: rendered/ is not what the topology renders; the hosts were compared with rendered/ as it is\n'];
  const hosts = problemsFirst(report).map((h) => `\n${h.host}${h.isHub ? ' (hub)' : ''}: ${verdictWords(h).toUpperCase()}\n${table(hostRows(h))}`);
  return `${notes.join('')}${hosts.join('')}\n${summaryLine(report)}\n`;
}

function hostRows(host: Host): [string, string, string][] {
  const rows: [string, string, string][] = [['check', 'state', 'detail']];
  for (const p of host.problems) rows.push([p.code, p.severity, p.message]);
  if (!host.reachable) return rows;

  const changed = host.files.filter((f) => f.state !== 'ok');
  rows.push(['files', changed.length === 0 ? 'match' : `${changed.length} differ`, `${host.files.length} managed${changed.length ? `: ${changed.map((f) => `${f.path} ${f.state}`).join(', ')}` : ''}`]);
  const last = host.lastTransaction;
  rows.push(['last apply', last ? (last.running ? 'running now' : last.outcome) : 'none', last ? `${last.tx}${last.detail ? `: ${last.detail}` : ''}` : 'no transaction recorded on the host']);
  if (host.wireguard) {
    const { peers } = host.wireguard;
    rows.push(['wireguard', host.wireguard.state, `${host.wireguard.interface}, ${peers.length} peer${peers.length === 1 ? '' : 's'}`]);
    for (const peer of peers) {
      const age = peer.handshakeAgeSeconds === undefined ? 'not on the interface' : peer.handshakeAgeSeconds === null ? 'no handshake yet' : `handshake ${formatAge(peer.handshakeAgeSeconds)} ago`;
      const transfer = peer.rxBytes === undefined ? '' : `, received ${bytes(peer.rxBytes)}, sent ${bytes(peer.txBytes ?? 0)}`;
      const endpoint = peer.endpoint ? `, endpoint ${peer.endpoint}` : '';
      rows.push(['  peer', peer.state, `${peer.name}: ${age}${transfer}${endpoint}${peer.differences.length ? `; ${peer.differences.join('; ')}` : ''}`]);
    }
  }
  if (host.tunnel) {
    const t = host.tunnel;
    const s = t.statistics;
    rows.push([
      'tunnel',
      t.up ? 'up' : 'DOWN',
      `to ${t.to} at ${t.address}:${t.port}: ${s ? `median ${milliseconds(s.median)} (min ${milliseconds(s.min)}, max ${milliseconds(s.max)}), jitter ${milliseconds(s.jitter)}, ${s.samples} sample${s.samples === 1 ? '' : 's'}` : (t.failure ?? 'not measured')}`,
    ]);
  }
  if (host.haproxy) {
    const down = host.haproxy.servers.filter((s) => !s.up).length;
    const servers = host.haproxy.servers.map((s) => `${s.backend}/${s.server} ${s.status}${s.backup ? ' (backup)' : ''}`).join(', ');
    rows.push(['haproxy', host.haproxy.error ? 'unread' : down ? `${down} down` : 'all up', host.haproxy.error ?? (servers || 'no servers')]);
  }
  if (host.firewall) rows.push(['firewall', host.firewall.state, host.firewall.detail ?? host.firewall.differences.slice(0, 3).join('; ')]);
  return rows;
}

function table(rows: readonly [string, string, string][]): string {
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r[0].padEnd(widths[0]!)}  ${r[1].padEnd(widths[1]!)}  ${r[2]}`.trimEnd()).join('\n') + '\n';
}
