// A semantic rule reads the schema-valid topology and reports what is wrong with it, with positions.
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Locate } from '../../load/sourceDocument.js';
import type { TopologyInput } from '../topologyInput.js';

export type SemanticRule = (topology: TopologyInput, locate: Locate) => Diagnostic[];

export function entriesOf<T>(record: Record<string, T> | undefined): [string, T][] {
  return Object.entries(record ?? {});
}

/**
 * The records of the topology are keyed by names users write, so they are read as maps: a plain
 * `record[name]` would find Object.prototype's `constructor` for a data class named "constructor".
 */
export function mapOf<T>(record: Record<string, T> | undefined): Map<string, T> {
  return new Map(entriesOf(record));
}
