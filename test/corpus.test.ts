// The bad-input corpus: every file in test/corpus/bad/ is a topology fortress must refuse, with
// exactly the diagnostics its header names, and without touching rendered/ or the lock.
//
// A case is NAME.yaml. It starts with its expectations as comments, one per diagnostic, then a
// line saying what it tests (lines are counted from the top of the file, header included):
//
//   # expect: FT301 14            a diagnostic FT301 at line 14 of topology/topology.yaml
//   # expect: FT305 6 lock        ... at line 6 of topology/topology.lock.json
//   # why: a host at a site that does not exist
//
// A file that cannot hold comments (an empty one), or whose bytes must stay exactly as they are (a
// case in another encoding, encoding-*.yaml), keeps those lines in a sidecar NAME.expect. The case is
// copied into the repository byte for byte, never through a string.
// An optional sidecar NAME.lock.json is installed as topology/topology.lock.json.
//
// Each case runs the real CLI in-process, in a temporary repository whose rendered/ and lock come
// from rendering the example topology: `render` must fail with exit 1, print exactly the expected
// diagnostics as `path:line:col: error CODE: message`, never a stack trace, and leave rendered/
// and the lock byte-for-byte as they were, with no staging leftovers. `validate` must report the
// same set. Lock cases are the exception: validate never reads the lock, so there it must
// succeed (exit 0), which also proves the topology itself is valid and the lock is what render refuses.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { runCli } from '../src/cli/runCli.js';
import type { CliIo } from '../src/cli/io.js';
import { repoRoot } from './support/compileExample.js';

const CORPUS = join(repoRoot, 'test/corpus/bad');
const TOPOLOGY = 'topology/topology.yaml';
const LOCK = 'topology/topology.lock.json';

interface Expected {
  file: string;
  code: string;
  line: number;
}

interface Case {
  name: string;
  why: string;
  /** The topology file's bytes, exactly as in the corpus. */
  topology: Buffer;
  lock?: string;
  expected: Expected[];
}

function readCase(name: string): Case {
  const topology = readFileSync(join(CORPUS, `${name}.yaml`));
  const sidecar = join(CORPUS, `${name}.expect`);
  const lockPath = join(CORPUS, `${name}.lock.json`);
  const headerSource = existsSync(sidecar) ? readFileSync(sidecar, 'utf8') : topology.toString('utf8');
  const expected: Expected[] = [];
  let why: string | undefined;
  for (const line of headerSource.split('\n')) {
    const expectation = /^# expect: (FT\d{3}) ([1-9][0-9]*)( lock)?$/.exec(line);
    const reason = /^# why: (.+)$/.exec(line);
    if (expectation) expected.push({ file: expectation[3] ? LOCK : TOPOLOGY, code: expectation[1]!, line: Number(expectation[2]) });
    else if (reason) why = reason[1];
    else break;
  }
  if (expected.length === 0 || why === undefined) throw new Error(`${name}: the header needs "# expect: CODE LINE" lines and a "# why: ..." line`);
  return { name, why, topology, expected, ...(existsSync(lockPath) ? { lock: readFileSync(lockPath, 'utf8') } : {}) };
}

const caseNames = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(cwd: string, ...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { cwd, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

// Removed after each case rather than all at the end: with some 180 repositories, one final sweep
// outlasts a hook's time limit on a busy machine.
const tempDirs: string[] = [];
afterEach(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository with the example topology rendered into it, then the case's topology (and lock) put in place. */
async function prepareRepository(c: Case): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'fortress-corpus-'));
  tempDirs.push(dir);
  mkdirSync(join(dir, 'topology'));
  writeFileSync(join(dir, TOPOLOGY), readFileSync(join(repoRoot, TOPOLOGY)));
  writeFileSync(join(dir, LOCK), readFileSync(join(repoRoot, LOCK)));
  const setup = await cli(dir, 'render');
  expect(setup, 'rendering the valid example for the setup').toMatchObject({ code: 0, stderr: '' });
  writeFileSync(join(dir, TOPOLOGY), c.topology);
  if (c.lock !== undefined) writeFileSync(join(dir, LOCK), c.lock);
  return dir;
}

/** Every file and directory under dir (relative paths), with the bytes of each file. */
function snapshot(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .map((e): [string, string] => {
        const path = join(e.parentPath, e.name);
        return [relative(dir, path), e.isFile() ? readFileSync(path, 'base64') : '<dir>'];
      })
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

const DIAGNOSTIC = /^(\S+):(\d+):(\d+): error (FT\d{3}): (.+)$/;
const SUMMARY = /^(\d+) errors?$/;

/** The text format: one diagnostic per line, then the count; returns what it reported. */
function parseText(stderr: string): Expected[] {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/internal error/i);
  const lines = stderr.split('\n');
  expect(lines.pop(), 'output ends with a newline').toBe('');
  const summary = SUMMARY.exec(lines.pop() ?? '');
  expect(summary, `the last line is the count, in:\n${stderr}`).not.toBeNull();
  const reported = lines.map((line) => {
    const m = DIAGNOSTIC.exec(line);
    expect(m, `"${line}" is not path:line:col: error CODE: message`).not.toBeNull();
    return { file: m![1]!, code: m![4]!, line: Number(m![2]) };
  });
  expect(reported.length).toBe(Number(summary![1]));
  return reported;
}

const key = (e: Expected) => `${e.file}:${e.line} ${e.code}`;
const asSet = (list: Expected[]) => [...new Set(list.map(key))].sort();

describe('bad-input corpus', () => {
  test('has at least 45 cases', () => {
    expect(caseNames.length).toBeGreaterThanOrEqual(45);
  });

  test.each(caseNames)('%s', async (name) => {
    const c = readCase(name);
    const dir = await prepareRepository(c);
    const before = snapshot(dir);

    const render = await cli(dir, 'render');
    expect(render.stdout).toBe('');
    const reported = parseText(render.stderr);
    expect(asSet(reported), `${c.why}\n${render.stderr}`).toEqual(asSet(c.expected));
    expect(render.code).toBe(1);
    const after = snapshot(dir);
    expect([...after.keys()].filter((p) => /\.(tmp|old)-/.test(p)), 'no staging leftovers').toEqual([]);
    expect(after, 'rendered/ and the lock are byte-for-byte untouched').toEqual(before);

    const validate = await cli(dir, 'validate');
    if (c.lock !== undefined) {
      // validate reads only the topology, never the lock: the topology of a lock case is valid.
      expect(validate, validate.stderr).toMatchObject({ code: 0, stderr: '' });
    } else {
      expect(asSet(parseText(validate.stderr)), `${c.why}\n${validate.stderr}`).toEqual(asSet(c.expected));
      expect(validate.code).toBe(1);
      expect(validate.stdout).toBe('');
    }
    expect(snapshot(dir)).toEqual(before);
  });

  test('--format json reports code, message and span of each diagnostic', async () => {
    const c = readCase('unknown-key-several-levels');
    const dir = await prepareRepository(c);
    const run = await cli(dir, 'validate', '--format', 'json');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as {
      errorCount: number;
      diagnostics: { code: string; severity: string; message: string; span: { file: string; start: { line: number; col: number }; end: { line: number; col: number } } }[];
    };
    expect(report.errorCount).toBe(c.expected.length);
    for (const d of report.diagnostics) {
      expect(d.severity).toBe('error');
      expect(d.message).toMatch(/unknown key/);
      expect(d.span.start.col).toBeGreaterThan(0);
      expect(d.span.end.line).toBeGreaterThanOrEqual(d.span.start.line);
    }
    expect(asSet(report.diagnostics.map((d) => ({ file: d.span.file, code: d.code, line: d.span.start.line })))).toEqual(asSet(c.expected));
  });

  test('--format github prints workflow annotations', async () => {
    const c = readCase('full-mesh-two-without-endpoints');
    const dir = await prepareRepository(c);
    const before = snapshot(dir);
    const run = await cli(dir, 'render', '--format', 'github');
    expect(run.code).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    const reported = lines.map((line) => {
      const m = /^::error file=([^,]+),line=(\d+),col=\d+,endLine=\d+,title=fortress (FT\d{3})::\S.*$/.exec(line);
      expect(m, `"${line}" is not a GitHub error annotation`).not.toBeNull();
      return { file: m![1]!, code: m![3]!, line: Number(m![2]) };
    });
    expect(asSet(reported)).toEqual(asSet(c.expected));
    expect(snapshot(dir)).toEqual(before);
  });
});

// What corpus files cannot hold: inputs generated at a size no repository should store, and inputs
// that must be accepted.
describe('input beyond the corpus files', () => {
  const exampleBytes = () => readFileSync(join(repoRoot, TOPOLOGY));
  const generated = (name: string, topology: Buffer, expected: Expected[] = []): Case => ({ name, why: name, topology, expected });

  test('a UTF-8 byte order mark is accepted: the example with one is up to date with its rendered/', async () => {
    const dir = await prepareRepository(generated('utf-8 bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), exampleBytes()])));
    expect(await cli(dir, 'render', '--check')).toMatchObject({ code: 0, stderr: '' });
  });

  test.each([
    ['flow lists', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`],
    ['flow mappings', (n: number) => `${'{a: '.repeat(n)}1${'}'.repeat(n)}`],
    ['block lists', (n: number) => `\n      ${'- '.repeat(n)}x`],
  ])('100,000 levels of %s are refused with FT107 in well under a second, nothing written', async (_what, nest) => {
    const text = exampleBytes().toString('utf8').replace(/^(\s+terraform:) .*$/m, `$1\n      deep: ${nest(100_000)}`);
    const line = text.split('\n').findIndex((l) => l.includes('deep:')) + 1 + (nest(1).startsWith('\n') ? 1 : 0);
    const dir = await prepareRepository(generated('deep', Buffer.from(text)));
    const before = snapshot(dir);
    const started = performance.now();
    const render = await cli(dir, 'render');
    const elapsed = performance.now() - started;
    expect(render.code).toBe(1);
    expect(asSet(parseText(render.stderr))).toEqual([`${TOPOLOGY}:${line} FT107`]);
    expect(elapsed, `render took ${elapsed.toFixed(1)} ms`).toBeLessThan(1000);
    expect(snapshot(dir)).toEqual(before);
  });
});
