import { expect, test } from 'vitest';
import { applyProgress } from '../../src/cli/applyProgress.js';

const events: [string, string][] = [
  ['oslo-db-01', 'connected'],
  ['fra-app-01', 'connected'],
  ['oslo-db-01', 'done'],
  ['fra-app-01', 'step validated'],
];

test('anywhere but a terminal: one line per event', () => {
  let out = '';
  const progress = applyProgress((t) => (out += t), false);
  for (const [host, event] of events) progress(host, event);
  expect(out).toBe('oslo-db-01: connected\nfra-app-01: connected\noslo-db-01: done\nfra-app-01: step validated\n');
});

test('on a terminal: one line per host, redrawn in place', () => {
  const writes: string[] = [];
  const progress = applyProgress((t) => writes.push(t), true);
  for (const [host, event] of events) progress(host, event);
  expect(writes[0]).toBe('\u001b[2Koslo-db-01: connected\n');
  expect(writes[1]).toBe('\u001b[1A\u001b[2Koslo-db-01: connected\n\u001b[2Kfra-app-01: connected\n');
  // The last frame: back up over both host lines, each showing its latest event.
  expect(writes.at(-1)).toBe('\u001b[2A\u001b[2Koslo-db-01: done\n\u001b[2Kfra-app-01: step validated\n');
});
