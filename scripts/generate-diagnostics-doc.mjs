// Writes docs/diagnostics.md from src/diagnostics/catalogue.ts: every code fortress can report, with
// its meaning and its fix, grouped by range. `npm run docs:diagnostics` runs it; a test fails when the
// committed page differs from what this produces, so a new code cannot go undocumented.
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

const CATALOGUE = new URL('../src/diagnostics/catalogue.ts', import.meta.url);
const PAGE = new URL('../docs/diagnostics.md', import.meta.url);

// The ranges the catalogue's header names, one heading each.
const RANGES = {
  1: 'Reading files (YAML, encodings, the lock file)',
  2: 'The schema of the topology',
  3: 'Semantic rules of the topology',
  4: 'Address allocation',
  5: 'The command line and its preconditions',
  6: 'Drift between the topology and rendered/',
};

/** The catalogue as data: the TypeScript module transpiled in memory (Node 20 cannot import .ts) and imported. */
async function loadCatalogue() {
  const { outputText } = ts.transpileModule(readFileSync(CATALOGUE, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
  });
  const module = await import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);
  return module.catalogue;
}

// A cell stays one cell: no line break, no column separator.
const cell = (text) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

export function renderDiagnosticsDoc(catalogue) {
  const codes = Object.keys(catalogue).sort();
  const groups = new Map();
  for (const code of codes) {
    const range = Number(code.slice(2, 3));
    if (!groups.has(range)) groups.set(range, []);
    groups.get(range).push(code);
  }
  const sections = [...groups].map(([range, members]) =>
    [
      `## FT${range}xx: ${RANGES[range] ?? 'Other'}`,
      '',
      '| code | meaning | fix |',
      '| --- | --- | --- |',
      ...members.map((code) => `| <a id="${code.toLowerCase()}"></a>\`${code}\` | ${cell(catalogue[code].meaning)} | ${cell(catalogue[code].fix)} |`),
      '',
    ].join('\n'),
  );
  return [
    '# Diagnostics',
    '',
    '<!-- Generated from src/diagnostics/catalogue.ts by `npm run docs:diagnostics`. Do not edit: edit the catalogue and run it. -->',
    '',
    'Everything fortress reports is a diagnostic with a stable code: a problem in the topology or the lock',
    'file, a mistake on the command line, something apply needs before it connects, or drift between the',
    'topology and `rendered/`. A code never changes its meaning.',
    '',
    'Diagnostics print as `path:line:col: error CODE: message (hint)` on stderr, one per line, then a count',
    '(a problem with the command line itself, which is in no file, prints as `fortress: error CODE: …`).',
    '`--format json` prints `{ "errorCount": N, "diagnostics": [{ code, severity, message, span, hint }] }`',
    'on stdout instead, and `--format github` prints one GitHub workflow annotation per diagnostic',
    '(`::error file=…,line=…,col=…,endLine=…,title=fortress CODE::message`).',
    '',
    'Exit status: 2 when any diagnostic is FT501–FT511 (the command line, files that cannot be read or',
    'written, missing credentials or git refs); otherwise 1 when any diagnostic is an error.',
    '',
    `${codes.length} codes.`,
    '',
    ...sections,
  ].join('\n');
}

export async function generateDiagnosticsDoc() {
  return renderDiagnosticsDoc(await loadCatalogue());
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const page = await generateDiagnosticsDoc();
  if (process.argv.includes('--check')) {
    const current = readFileSync(PAGE, 'utf8');
    if (current !== page) {
      console.error('docs/diagnostics.md is out of date: run `npm run docs:diagnostics` and commit it');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(PAGE, page);
  }
}
