// npm run bench: wall time and peak memory of whole `fortress render` processes on generated topologies.
// A benchmark that prints a table, not a test: it reports, compares with the targets, and never fails.
//
// Each case runs several times and shows the median. The disk is synced and left to settle before
// every run: on this machine's virtual disk, directory creation swings between 0.02 and 0.8 ms and is
// slowest right after mass deletions, which would measure the previous run's cleanup, not fortress.
import { execSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, generateTopology } from './generateTopology.mjs';

const bin = new URL('../dist/cli/main.js', import.meta.url).pathname;
const usageHook = new URL('./reportUsage.mjs', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// Scratch repositories live beside the project, where a checkout would be, not in /tmp: on this
// machine /tmp creates directories over ten times slower than the rest of the same file system.
const scratch = new URL('../.bench/', import.meta.url).pathname;
mkdirSync(scratch, { recursive: true });
const root = mkdtempSync(scratch);

function fortress(cwd, ...args) {
  execSync('sync; sleep 1'); // let the previous run's writes and deletions reach the disk first
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', usageHook, bin, ...args], { cwd, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const usage = JSON.parse(/@@usage (.*)/.exec(result.stderr)?.[1] ?? 'null');
  if (result.status !== 0 || !usage) throw new Error(`fortress ${args.join(' ')} failed in ${cwd}:\n${result.stdout}${result.stderr}`);
  return { seconds, rssMb: usage.maxRssKb / 1024 };
}

function newRepo(yaml) {
  const dir = mkdtempSync(join(root, 'repo-'));
  mkdirSync(join(dir, 'topology'));
  writeFileSync(join(dir, 'topology/topology.yaml'), yaml);
  return dir;
}

function summarize(runs) {
  const seconds = runs.map((r) => r.seconds).sort((a, b) => a - b);
  return { median: seconds[Math.floor(seconds.length / 2)], max: seconds.at(-1), rssMb: Math.max(...runs.map((r) => r.rssMb)) };
}

/** Rotates one app host's public key: the hub's wg0.conf, the host's own files and its site's tfvars change. */
function rotateOneKey(yaml) {
  const lines = yaml.split('\n');
  const at = lines.findIndex((l) => /^ {2}(fra|lon)-app-/.test(l));
  const keyLine = lines.findIndex((l, i) => i > at && l.trimStart().startsWith('publicKey:'));
  lines[keyLine] = lines[keyLine].replace(/publicKey: .*/, `publicKey: ${generateKeyPair().publicKey}`);
  return lines.join('\n');
}

const cases = [
  { name: '1,000-host hub-and-spoke', topology: generateTopology({ hosts: 1000 }), peers: 2 * 999, target: 1.0 },
  { name: '250-host full mesh', topology: generateTopology({ hosts: 250, shape: 'full-mesh' }), peers: 250 * 249, target: 2.0 },
];

// The whole-tree case first, before this benchmark's own writes have used up the disk's burst budget;
// then everything runs in place, with no copying between runs.
const rows = [];
for (const { name, topology, peers, target } of cases) {
  const repos = Array.from({ length: RUNS }, () => newRepo(topology.yaml));
  rows.push({ name, scenario: 'render into an empty rendered/', peers, target, ...summarize(repos.map((repo) => fortress(repo, 'render'))) });
  const repo = repos[0];
  const changed = [];
  for (let i = 0; i < RUNS; i++) {
    writeFileSync(join(repo, 'topology/topology.yaml'), rotateOneKey(topology.yaml));
    changed.push(fortress(repo, 'render'));
  }
  rows.push({ name, scenario: 'render after one host changed', peers, target, ...summarize(changed) });
  rows.push({ name, scenario: 'render --check, up to date', peers, target, ...summarize(Array.from({ length: RUNS }, () => fortress(repo, 'render', '--check'))) });

  if (topology.topology.mesh.shape === 'hub-and-spoke') {
    // A pull request's review: the committed topology at HEAD against a working tree with one host changed.
    execSync('git init -q && git add . && git -c user.name=bench -c user.email=bench@example.invalid commit -qm base', { cwd: repo });
    writeFileSync(join(repo, 'topology/topology.yaml'), rotateOneKey(topology.yaml));
    const diffs = Array.from({ length: RUNS }, () => fortress(repo, 'diff', '--base', 'HEAD', '--format', 'markdown'));
    rows.push({ name, scenario: 'diff --base HEAD --format markdown, one host changed', peers, target: 2.0, ...summarize(diffs) });
  }
}
rmSync(root, { recursive: true, force: true });

// apply on a 20-host lab of network namespaces: the test suite's lab, so it runs under vitest, as root.
let applyRows = '';
if (process.env.BENCH_APPLY === '0') {
  console.error('BENCH_APPLY=0: the apply benchmark is skipped');
} else if (process.getuid?.() === 0) {
  const lab = spawnSync('npx', ['vitest', 'run', '--config', 'bench/vitest.config.ts', '--silent'], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' });
  applyRows = lab.status === 0 ? readFileSync(join(scratch, 'apply.md'), 'utf8') : '';
  if (lab.status !== 0) console.error(`the apply benchmark failed:\n${lab.stdout}${lab.stderr}`);
} else {
  console.error('the apply benchmark needs root for its network namespaces: skipped');
}
rmSync(scratch, { recursive: true, force: true });

const ok = (r) => (r.median <= r.target && r.rssMb <= 200 ? 'yes' : 'NO');
console.log(`fortress, median of ${RUNS} runs (wall time includes Node start-up; targets: wall as shown, peak RSS ≤ 200 MB)\n`);
console.log('| topology | scenario | WireGuard peer sections | median wall | slowest | peak RSS | target | met |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | :---: |');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.scenario} | ${r.peers.toLocaleString('en')} | ${r.median.toFixed(2)} s | ${r.max.toFixed(2)} s | ${r.rssMb.toFixed(0)} MB | ≤ ${r.target.toFixed(1)} s | ${ok(r)} |`);
}
process.stdout.write(applyRows);
