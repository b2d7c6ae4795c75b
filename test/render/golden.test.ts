// Golden files: the whole rendered tree of the example and of a full-mesh fixture, file by file.
// After an intended change, accept the new output with `npx vitest run test/render/golden.test.ts -u`
// and review the diff of test/golden/ like any other change.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { compileExample, compileText, filesByPath } from '../support/compileExample.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe.each([
  ['example', () => compileExample()],
  ['full-mesh', () => compileText(fixture('full-mesh.yaml'))],
])('golden output: %s', (name, compileIt) => {
  const files = filesByPath(compileIt());
  test('has the expected set of files', async () => {
    await expect(`${Object.keys(files).join('\n')}\n`).toMatchFileSnapshot(`../golden/${name}/FILES`);
  });
  test.each(Object.keys(files))('%s', async (path) => {
    await expect(files[path]).toMatchFileSnapshot(`../golden/${name}/${path}`);
  });
});

test('the committed rendered/ is the example rendered', () => {
  for (const [path, content] of Object.entries(filesByPath(compileExample()))) {
    expect(readFileSync(new URL(`../../rendered/${path}`, import.meta.url), 'utf8'), path).toBe(content);
  }
});
