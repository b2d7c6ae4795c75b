// HAProxy timers fit HAProxy: it keeps them as milliseconds in a signed 32-bit integer and refuses
// (`haproxy -c`) anything from 2^31 ms, about 24.8 days, up. The schema allows up to 999999m, so the
// value is checked here, where the user can still be pointed at it, not on the host at apply time.
import { error, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { entriesOf, type SemanticRule } from './rule.js';

/** The longest timer HAProxy accepts, in milliseconds. */
export const HAPROXY_MAX_TIMER_MS = 2 ** 31 - 1;

const MS_PER_UNIT: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000 };

/**
 * A duration as the schema allows it (digits and an optional unit: ms, s or m) in milliseconds.
 * The renderer writes the value as it was written; HAProxy, like this, reads a bare number as ms.
 */
export function durationMs(duration: string): number | undefined {
  const match = /^([0-9]+)(ms|s|m)?$/.exec(duration);
  if (!match) return undefined;
  return Number(match[1]) * MS_PER_UNIT[match[2] ?? '']!;
}

export const checkHaproxyTimers: SemanticRule = (topology, locate) => {
  const diagnostics: Diagnostic[] = [];
  for (const [lbName, lb] of entriesOf(topology.loadBalancers)) {
    for (const [backendName, backend] of entriesOf(lb.backends)) {
      const interval = backend.check?.interval;
      const ms = interval === undefined ? undefined : durationMs(interval);
      if (ms !== undefined && ms > HAPROXY_MAX_TIMER_MS) {
        diagnostics.push(error('FT324', locate(['loadBalancers', lbName, 'backends', backendName, 'check', 'interval']), `check.interval ${interval} of backend "${backendName}" is ${ms} ms, beyond HAProxy's limit of ${HAPROXY_MAX_TIMER_MS} ms (about 24.8 days)`, 'use a health-check interval of seconds, such as 2s'));
      }
    }
  }
  return diagnostics;
};
