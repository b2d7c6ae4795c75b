// Compiles topologies in memory for tests, the way `fortress render` would.
import { readFileSync } from 'node:fs';
import { compile, type Compiled } from '../../src/compile.js';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export function compileText(text: string, lockText?: string): Compiled {
  const result = compile({
    topology: { path: 'topology/topology.yaml', text },
    ...(lockText === undefined ? {} : { lock: { path: 'topology/topology.lock.json', text: lockText } }),
    source: 'topology/topology.yaml',
  });
  if (!result.compiled) throw new Error(`topology does not compile:\n${JSON.stringify(result.diagnostics, null, 2)}`);
  return result.compiled;
}

export function compileExample(): Compiled {
  return compileText(
    readFileSync(`${repoRoot}topology/topology.yaml`, 'utf8'),
    readFileSync(`${repoRoot}topology/topology.lock.json`, 'utf8'),
  );
}

/** The files as { path: content }, the way projen's synthSnapshot shows them. */
export function filesByPath(compiled: Compiled): Record<string, string> {
  return Object.fromEntries(compiled.files.map((f) => [f.path, f.content]));
}
