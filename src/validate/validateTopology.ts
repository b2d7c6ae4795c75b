// Stage 2: the parsed document -> a schema-valid, semantically sound TopologyInput, or diagnostics.
// Warnings (a key that looks private) do not stop the pipeline: they come back with the topology.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceDocument } from '../load/sourceDocument.js';
import { checkSchema } from './schema.js';
import type { TopologyInput } from './topologyInput.js';
import { checkCountries } from './rules/countries.js';
import { checkDeployKeys } from './rules/deployKeys.js';
import { checkFirewall } from './rules/firewall.js';
import { checkHaproxyTimers } from './rules/haproxyTimers.js';
import { checkListeners } from './rules/listeners.js';
import { checkMesh } from './rules/mesh.js';
import { checkPublicKeys } from './rules/publicKeys.js';
import { checkReferences } from './rules/references.js';
import { checkResidency } from './rules/residency.js';
import type { SemanticRule } from './rules/rule.js';
import { checkSysctl } from './rules/sysctl.js';

const semanticRules: SemanticRule[] = [checkReferences, checkMesh, checkPublicKeys, checkCountries, checkResidency, checkListeners, checkFirewall, checkHaproxyTimers, checkSysctl, checkDeployKeys];

export function validateTopology(document: SourceDocument): { topology?: TopologyInput; diagnostics: Diagnostic[] } {
  const schemaDiagnostics = checkSchema(document.value, document.locate);
  // Semantic rules assume the shape the schema promises; running them on a malformed document
  // would only add noise on top of the real problem.
  if (schemaDiagnostics.length > 0) return { diagnostics: schemaDiagnostics };
  const topology = document.value as TopologyInput;
  const diagnostics = semanticRules.flatMap((rule) => rule(topology, document.locate));
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { topology, diagnostics };
}
