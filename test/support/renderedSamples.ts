// The topologies the real-tool tests feed to haproxy, terraform and the kernel: the example,
// the full-mesh fixture, and a generated one with 30 hosts.
import { readFileSync } from 'node:fs';
import type { Compiled } from '../../src/compile.js';
import { generateTopology } from '../../bench/generateTopology.mjs';
import { compileExample, compileText } from './compileExample.js';

export function renderedSamples(): [string, Compiled][] {
  return [
    ['example', compileExample()],
    ['full-mesh fixture', compileText(readFileSync(new URL('../fixtures/full-mesh.yaml', import.meta.url), 'utf8'))],
    ['generated 30 hosts', compileText(generateTopology({ hosts: 30 }).yaml)],
  ];
}
