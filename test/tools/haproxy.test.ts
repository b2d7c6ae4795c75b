// Every rendered haproxy.cfg is accepted by the real `haproxy -c`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderedSamples } from '../support/renderedSamples.js';
import { requireTools } from '../support/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'fortress-haproxy-'));
beforeAll(() => requireTools('haproxy'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configs = renderedSamples().flatMap(([sample, compiled]) =>
  compiled.files.filter((f) => f.hostPath === '/etc/haproxy/haproxy.cfg').map((f) => [`${sample}: ${f.host}`, f.content] as const),
);

describe('haproxy -c', () => {
  test('there are load balancers to check in every sample', () => {
    expect(configs.length).toBeGreaterThanOrEqual(4);
  });

  test.each(configs)('accepts %s', (name, content) => {
    const file = join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.cfg`);
    writeFileSync(file, content);
    const output = execFileSync('haproxy', ['-c', '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(output).toContain('Configuration file is valid');
  });

  test('rejects a broken config, so the check above can fail', () => {
    const file = join(dir, 'broken.cfg');
    writeFileSync(file, `${configs[0]![1]}\n    server broken 10.0.0.1:5432 chekc\n`);
    expect(() => execFileSync('haproxy', ['-c', '-f', file], { stdio: 'ignore' })).toThrow();
  });
});
