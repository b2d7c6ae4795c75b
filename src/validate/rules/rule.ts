// A semantic rule reads the schema-valid topology and reports what is wrong with it, with positions.
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Locate } from '../../load/sourceDocument.js';
import type { TopologyInput } from '../topologyInput.js';

export type SemanticRule = (topology: TopologyInput, locate: Locate) => Diagnostic[];

export function entriesOf<T>(record: Record<string, T> | undefined): [string, T][] {
  return Object.entries(record ?? {});
}
