// JSON Schema validation with ajv, each error mapped back to the YAML node it is about.
import type { ErrorObject } from 'ajv';
import { describeValue, error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';
import type { Locate, PathSegment } from '../load/sourceDocument.js';
import { closestName, didYouMean } from './suggest.js';

// Compiled from schema/topology.schema.json at build time (scripts/build-schema-validator.mjs).
import validateTopology from './generated/topologyValidator.js';

export function checkSchema(value: unknown, locate: Locate): Diagnostic[] {
  if (validateTopology(value)) return [];
  const errors = validateTopology.errors ?? [];
  // A misspelt key is one mistake: "unknown key contry (did you mean country?)" says it all, so the
  // "missing required key country" it causes is left out.
  const misspelt = new Set(errors.filter((e) => e.keyword === 'additionalProperties').map((e) => `${e.instancePath}/${suggestedKey(e) ?? ''}`));
  // A bad property name is reported twice by ajv: once by the name's own rule, once by propertyNames.
  return errors
    .filter((e) => e.keyword !== 'propertyNames' && e.keyword !== 'if')
    .filter((e) => !(e.keyword === 'required' && misspelt.has(`${e.instancePath}/${String((e.params as { missingProperty?: unknown }).missingProperty)}`)))
    .map((e) => schemaDiagnostic(e, locate));
}

function knownKeys(e: ErrorObject): string[] {
  return Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
}

function suggestedKey(e: ErrorObject): string | undefined {
  return closestName(String((e.params as { additionalProperty?: unknown }).additionalProperty), knownKeys(e));
}

function schemaDiagnostic(e: ErrorObject, locate: Locate): Diagnostic {
  const path = pointerToPath(e.instancePath);
  const where = describePath(path);
  const description = (e.parentSchema as { description?: string } | undefined)?.description;
  const params = e.params as Record<string, unknown>;
  const propertyName = (e as { propertyName?: string }).propertyName;

  if (propertyName !== undefined) {
    return at('FT205', [...path, propertyName], 'key', `key ${quote(propertyName)} in ${where} must be ${description ?? 'a valid name'}`);
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = knownKeys(e);
      return at('FT201', [...path, key], 'key', `unknown key ${quote(key)} in ${where}`, didYouMean(key, known) ?? (known.length ? `allowed keys: ${known.join(', ')}` : undefined));
    }
    case 'required':
      // At the key that holds the mapping (`mesh:`), not at whichever of its keys comes first.
      return at('FT202', path, path.length > 0 ? 'key' : 'value', `${where} is missing the required key "${String(params.missingProperty)}"`);
    case 'type':
      return at('FT203', path, 'value', `${where} must be ${article(String(params.type).replace(',', ' or '))}, not ${describeValue(e.data)}`);
    case 'const':
      return at('FT204', path, 'value', `${where} must be ${JSON.stringify(params.allowedValue)}`);
    case 'enum':
      return at('FT204', path, 'value', `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, typeof e.data === 'string' ? didYouMean(e.data, (params.allowedValues as unknown[]).map(String)) : undefined);
    case 'pattern':
      return at('FT205', path, 'value', `${where} must be ${description ?? `of the form ${String(params.pattern)}`}, not ${describeValue(e.data)}`);
    case 'minimum':
    case 'maximum':
      return at('FT206', path, 'value', `${where} must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, not ${String(e.data)}`);
    case 'minItems':
    case 'minProperties':
      return at('FT206', path, 'value', `${where} must have at least ${String(params.limit)} ${e.keyword === 'minItems' ? 'item' : 'entry'}${params.limit === 1 ? '' : 's'}`);
    case 'maxLength':
      return at('FT206', path, 'value', `${where} must be at most ${String(params.limit)} characters long`);
    case 'uniqueItems': {
      // ajv's i is the later of the two equal items: the one to remove.
      const item = Array.isArray(e.data) ? (e.data as unknown[])[Number(params.i)] : undefined;
      return at('FT207', [...path, Number(params.i)], 'value', `${where} lists ${item === undefined ? 'the same item' : describeValue(item)} twice`);
    }
    default:
      return at('FT203', path, 'value', `${where} ${e.message ?? 'is invalid'}`);
  }

  function at(code: DiagnosticCode, p: readonly PathSegment[], part: 'key' | 'value', message: string, hint?: string): Diagnostic {
    return error(code, locate(p, part), message, hint);
  }
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** `hosts.oslo-db-01.ssh.port`, `loadBalancers.edge.frontends[0].bind`, or "the topology". */
function describePath(path: readonly PathSegment[]): string {
  if (path.length === 0) return 'the topology';
  // A key that is not a plain name is quoted, so a newline in it cannot break the one-line diagnostic.
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : !PLAIN_KEY.test(s) ? `[${JSON.stringify(s)}]` : i === 0 ? s : `.${s}`)).join('');
}

const PLAIN_KEY = /^[A-Za-z0-9_.-]+$/;

/** A user's key in a message: as JSON, so control characters show as escapes instead of breaking the line. */
function quote(key: string): string {
  return JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key);
}

function article(type: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false' };
  return type
    .split(' or ')
    .map((t) => words[t] ?? t)
    .join(' or ');
}
