// docs/diagnostics.md is generated from the catalogue: a code added without regenerating the page
// fails here, and so does a catalogue entry without a meaning or a fix.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { generateDiagnosticsDoc, renderDiagnosticsDoc } from '../../scripts/generate-diagnostics-doc.mjs';
import { catalogue } from '../../src/diagnostics/catalogue.js';

const page = () => readFileSync(new URL('../../docs/diagnostics.md', import.meta.url), 'utf8');

test('docs/diagnostics.md is what `npm run docs:diagnostics` writes', async () => {
  expect(page() === (await generateDiagnosticsDoc()), 'run `npm run docs:diagnostics` and commit docs/diagnostics.md').toBe(true);
});

test('every code is on the page with its meaning and fix, under its range', () => {
  const text = page();
  for (const [code, { meaning, fix }] of Object.entries(catalogue)) {
    expect(meaning.trim(), `${code} has a meaning`).not.toBe('');
    expect(fix.trim(), `${code} has a fix`).not.toBe('');
    const row = text.split('\n').find((line) => line.includes(`\`${code}\``));
    expect(row, `${code} is documented`).toBeDefined();
    expect(text.lastIndexOf(`## ${code.slice(0, 3)}xx`, text.indexOf(row!)), `${code} is under its range`).toBeGreaterThan(-1);
  }
});

test('a cell stays a cell: pipes and line breaks in the catalogue cannot break the table', () => {
  const markdown = renderDiagnosticsDoc({ FT999: { meaning: 'a | b\nc', fix: 'd' } });
  expect(markdown).toContain('| <a id="ft999"></a>`FT999` | a \\| b c | d |');
});
