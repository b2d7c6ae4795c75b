// Every rendered sysctl key names a real kernel setting: it exists under /proc/sys.
import { existsSync } from 'node:fs';
import { expect, test } from 'vitest';
import { renderedSamples } from '../support/renderedSamples.js';

test('every rendered sysctl key exists under /proc/sys', () => {
  const keys = new Set<string>();
  for (const [, compiled] of renderedSamples()) {
    for (const f of compiled.files.filter((file) => file.hostPath === '/etc/sysctl.d/90-fortress.conf')) {
      for (const line of f.content.split('\n')) {
        if (line === '' || line.startsWith('#')) continue;
        expect(line).toMatch(/^[a-z0-9_.-]+ = \S+( \S+)*$/);
        keys.add(line.split(' = ')[0]!);
      }
    }
  }
  expect(keys.size).toBeGreaterThanOrEqual(5);
  // A key of the mesh interface exists once the interface does; its `default` sibling exists now.
  const mesh = /^net\.ipv4\.conf\.(wg[\w-]*)\./;
  const missing = [...keys].filter((key) => !existsSync(`/proc/sys/${key.replace(mesh, 'net.ipv4.conf.default.').replace(/\./g, '/')}`));
  expect(missing).toEqual([]);
});
