// The whole pure pipeline, load -> validate -> allocate -> model -> render, from texts to files.
// No disk, clock or network in here: the CLI reads the inputs and writes the outputs.
import { emptyLock, readLock, serializeLock, type AddressLock } from './allocate/addressLock.js';
import { allocateAddresses } from './allocate/allocateAddresses.js';
import { parseIpv4Network } from './allocate/ipv4Network.js';
import type { Diagnostic } from './diagnostics/diagnostic.js';
import { buildManifest, type Manifest } from './emit/manifest.js';
import { parseJsonDocument } from './load/jsonDocument.js';
import { parseSourceDocument, type Locate, type SourceText } from './load/sourceDocument.js';
import { buildModel } from './model/buildModel.js';
import type { TopologyModel } from './model/topologyModel.js';
import type { RenderedFile } from './render/renderedFile.js';
import { renderTree } from './render/renderTree.js';
import type { TopologyInput } from './validate/topologyInput.js';
import { validateTopology } from './validate/validateTopology.js';

export interface CompileInput {
  topology: SourceText;
  /** The lock file's text; absent when there is none yet. */
  lock?: SourceText;
  /** The topology's path from the repository root, for "generated from" headers. */
  source: string;
  /** The rendered tree's path from the repository root, for the cloud-init paths in the tfvars (default: rendered). */
  renderedDir?: string;
}

export interface Compiled {
  model: TopologyModel;
  /** Every file of rendered/, the manifest included, sorted by path. */
  files: RenderedFile[];
  /** The manifest as data (its file is among `files`). */
  manifest: Manifest;
  lock: AddressLock;
  lockText: string;
  /**
   * Where a path of the topology is in its file. The model has no positions; checks that need the
   * compiled result (apply's preconditions) point back into topology.yaml through this.
   */
  locate: Locate;
}

export function validateSource(topology: SourceText): { topology?: TopologyInput; diagnostics: Diagnostic[] } {
  const parsed = parseSourceDocument(topology);
  if (!parsed.document) return { diagnostics: parsed.diagnostics };
  return validateTopology(parsed.document);
}

export function compile(input: CompileInput): { compiled?: Compiled; diagnostics: Diagnostic[] } {
  const parsed = parseSourceDocument(input.topology);
  if (!parsed.document) return { diagnostics: parsed.diagnostics };
  const validated = validateTopology(parsed.document);
  if (!validated.topology) return { diagnostics: validated.diagnostics };
  const topology = validated.topology;
  const network = parseIpv4Network(topology.mesh.cidr);
  if (typeof network === 'string') throw new Error('validated topology has an invalid mesh.cidr');

  let previous = emptyLock(network.cidr);
  let locateLock = parsed.document.locate;
  if (input.lock) {
    const lockDocument = parseJsonDocument(input.lock);
    if (!lockDocument.document) return { diagnostics: lockDocument.diagnostics };
    const read = readLock(lockDocument.document);
    if (!read.lock) return { diagnostics: read.diagnostics };
    previous = read.lock;
    locateLock = lockDocument.document.locate;
  }

  const allocated = allocateAddresses(topology, network, previous, { topology: parsed.document.locate, lock: locateLock });
  if (!allocated.allocation) return { diagnostics: allocated.diagnostics };

  const model = buildModel(topology, network, allocated.allocation.addresses);
  const rendered = renderTree(model, { source: input.source, ...(input.renderedDir === undefined ? {} : { renderedDir: input.renderedDir }) });
  const { manifest, file } = buildManifest(model, input.source, rendered);
  const files = [...rendered, file].sort((a, b) => (a.path < b.path ? -1 : 1));
  const lock = allocated.allocation.lock;
  // What is left of validation's diagnostics here are warnings: they go with the result.
  return { compiled: { model, files, manifest, lock, lockText: serializeLock(lock), locate: parsed.document.locate }, diagnostics: validated.diagnostics };
}
