import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { generateValidatorSource } from '../../scripts/build-schema-validator.mjs';

test('the compiled schema validator is current with schema/topology.schema.json', () => {
  const generated = readFileSync(new URL('../../src/validate/generated/topologyValidator.js', import.meta.url), 'utf8');
  expect(generated === generateValidatorSource(), 'run `npm run build` after editing the schema').toBe(true);
});
