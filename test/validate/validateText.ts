// Validates a topology text the way `fortress validate` does, for rule tests with small inline inputs.
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { validateSource } from '../../src/compile.js';

/**
 * smallTopology makes its keys at run time, and 1 public key in 16 looks like a private key (FT328):
 * that warning is left out unless a test asks for it, so no test depends on the draw.
 */
export function validateText(text: string, options: { keyWarnings?: boolean } = {}): { valid: boolean; diagnostics: Diagnostic[] } {
  const { topology, diagnostics } = validateSource({ path: 'topology/topology.yaml', text });
  return { valid: topology !== undefined, diagnostics: options.keyWarnings ? diagnostics : diagnostics.filter((d) => d.code !== 'FT328') };
}

/** "CODE line" of every error, sorted: what a rule test usually asserts. */
export function errorsOf(text: string): string[] {
  return validateText(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${d.span?.start.line}`)
    .sort();
}

/** The codes of every error (no lines), sorted. */
export function errorCodes(text: string): string[] {
  return validateText(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => d.code)
    .sort();
}
