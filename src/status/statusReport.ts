// The fleet's status as one report: the hosts in the topology's order, each with its verdict, and
// the counts. `--format json` prints exactly this (documented in the README under "Status"); the
// other formats are made from it.
import { hostVerdict, type HostStatus } from './hostStatus.js';

export interface StatusReport {
  /** Bumped only when a field changes meaning or goes away; new fields may appear. */
  version: 1;
  /** false exactly when the command exits 1: a host is unreachable, drifted or has its tunnel down. */
  ok: boolean;
  /** When the read finished, on the controller's clock (ISO 8601, UTC). */
  checkedAt: string;
  /** Round trips timed per host. */
  samples: number;
  /** false: rendered/ is not what the topology renders; the hosts were compared with rendered/ as it is. */
  renderedUpToDate: boolean;
  summary: { hosts: number; ok: number; unreachable: number; drifted: number; tunnelDown: number; warnings: number };
  hosts: (HostStatus & ReturnType<typeof hostVerdict>)[];
}

export function buildStatusReport(hosts: readonly HostStatus[], { checkedAt, samples, renderedUpToDate }: { checkedAt: Date; samples: number; renderedUpToDate: boolean }): StatusReport {
  const judged = hosts.map((h) => ({ ...h, ...hostVerdict(h) }));
  return {
    version: 1,
    ok: judged.every((h) => h.ok),
    checkedAt: checkedAt.toISOString(),
    samples,
    renderedUpToDate,
    summary: {
      hosts: judged.length,
      ok: judged.filter((h) => h.ok).length,
      unreachable: judged.filter((h) => h.unreachable).length,
      drifted: judged.filter((h) => h.drifted).length,
      tunnelDown: judged.filter((h) => h.tunnelDown).length,
      warnings: judged.reduce((n, h) => n + h.problems.filter((p) => p.severity === 'warning').length, 0),
    },
    hosts: judged,
  };
}

/** Hosts with errors first (unreachable before the rest), then those with warnings, then the clean ones; hubs first within each, then by name. */
export function problemsFirst(report: StatusReport): StatusReport['hosts'] {
  const rank = (h: StatusReport['hosts'][number]) => (h.unreachable ? 0 : !h.ok ? 1 : h.problems.length > 0 ? 2 : 3);
  return [...report.hosts].sort((a, b) => rank(a) - rank(b) || Number(b.isHub) - Number(a.isHub) || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

/** "UNREACHABLE", "DRIFTED, TUNNEL DOWN", "warnings", "ok". */
export function verdictWords(host: StatusReport['hosts'][number]): string {
  if (host.unreachable) return 'unreachable';
  const words = [host.drifted && 'drifted', host.tunnelDown && 'tunnel down'].filter((w): w is string => typeof w === 'string');
  if (words.length > 0) return words.join(', ');
  return host.problems.length > 0 ? 'ok, with warnings' : 'ok';
}

export function summaryLine(report: StatusReport): string {
  const { hosts, ok, unreachable, drifted, tunnelDown, warnings } = report.summary;
  const counts = [`${ok} ok`, unreachable && `${unreachable} unreachable`, drifted && `${drifted} drifted`, tunnelDown && `${tunnelDown} with the tunnel down`].filter(Boolean);
  return `${hosts} host${hosts === 1 ? '' : 's'}: ${counts.join(', ')}; ${warnings} warning${warnings === 1 ? '' : 's'}`;
}

/** Milliseconds with two decimals: "0.41 ms". */
export function milliseconds(seconds: number): string {
  return `${(seconds * 1000).toFixed(2)} ms`;
}

export function bytes(count: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${count} B` : `${value.toFixed(1)} ${units[unit]}`;
}
