// Where a command finds the topology, its lock and rendered/, and the topology compiled from them:
// from the working tree, or (for diff --base) from whatever `read` reads.
import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { compile, type Compiled } from '../compile.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { decodeSource } from '../load/decodeSource.js';
import type { SourceText } from '../load/sourceDocument.js';
import type { CliOptions } from './command.js';
import type { CliIo } from './io.js';
import { reportInvalid, reportWarnings } from './report.js';

export interface Paths {
  /** The topology as the user named it. */
  topology: string;
  out: string;
  lock: string;
  lockDisplay: string;
  /** The topology relative to the directory that holds rendered/: what the generated headers name. */
  source: string;
}

export function resolvePaths(options: Pick<CliOptions, 'topology' | 'out'>, cwd: string): Paths {
  const topology = resolve(cwd, options.topology);
  const out = resolve(cwd, options.out);
  const lockDisplay = lockPathFor(options.topology);
  return {
    topology: options.topology,
    out,
    lock: resolve(cwd, lockDisplay),
    lockDisplay,
    source: relative(dirname(out), topology).split(sep).join('/'),
  };
}

function lockPathFor(topologyPath: string): string {
  const name = basename(topologyPath).replace(/\.(ya?ml|json)$/i, '');
  return `${dirname(topologyPath)}/${name}.lock.json`;
}

export type ReadSource = (path: string) => Promise<SourceText | undefined>;

/** The topology and its lock as `read` finds them (the working tree, or a git ref), compiled in memory. */
export async function compileFrom(read: ReadSource, paths: Paths): Promise<{ found: boolean; compiled?: Compiled; diagnostics: Diagnostic[] }> {
  const topology = await read(paths.topology);
  if (!topology) return { found: false, diagnostics: [] };
  const lock = await read(paths.lockDisplay);
  // tfvars name each host's cloud-init.yaml from the directory that holds rendered/, as `source` is named.
  const renderedDir = relative(dirname(paths.out), paths.out).split(sep).join('/');
  return { found: true, ...compile({ topology, ...(lock ? { lock } : {}), source: paths.source, renderedDir }) };
}

/** The working tree's topology (which must exist) and lock, compiled; diagnostics reported when they do not compile. */
export async function compileWorkingTree(options: CliOptions, io: CliIo): Promise<{ paths: Paths; compiled?: Compiled; warnings?: Diagnostic[]; code: number }> {
  const paths = resolvePaths(options, io.cwd);
  const { compiled, diagnostics } = await compileFrom((path) => (path === paths.topology ? readSource(io, path) : readSource(io, path, { optional: true })), paths);
  if (!compiled) return { paths, code: reportInvalid(diagnostics, options, io) };
  reportWarnings(diagnostics, options, io);
  return { paths, compiled, warnings: diagnostics, code: 0 };
}

/** The topology rewritten (enroll, keys rotate): beside the file, then renamed over it, so an interrupted write leaves it as it was. */
export function writeTopology(io: CliIo, topologyPath: string, text: string): void {
  const path = resolve(io.cwd, topologyPath);
  writeFileSync(`${path}.tmp-${process.pid}`, text);
  renameSync(`${path}.tmp-${process.pid}`, path);
}

export async function readSource(io: CliIo, path: string): Promise<SourceText>;
export async function readSource(io: CliIo, path: string, opts: { optional: true }): Promise<SourceText | undefined>;
export async function readSource(io: CliIo, path: string, { optional = false } = {}): Promise<SourceText | undefined> {
  try {
    // Bytes, not 'utf8': Node would turn UTF-16 or Latin-1 into replacement characters without a word.
    return decodeSource(path, await readFile(resolve(io.cwd, path)));
  } catch (cause) {
    if (optional && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cause;
  }
}
