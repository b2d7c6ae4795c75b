// The security promises of our GitHub workflows and of our action (action.yml), as checks over their
// parsed YAML. Each check returns the problems it finds (empty when the promise holds), so the tests
// can show both that the workflows keep every promise and that each check fails when a workflow breaks it.
import { posix } from 'node:path';
import { isScalar, parse, parseDocument, stringify, visit } from 'yaml';

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
  'working-directory'?: string;
  shell?: string;
}
export type Permissions = string | Record<string, string>;
export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string; url?: string };
  permissions?: Permissions;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  defaults?: { run?: { 'working-directory'?: string; shell?: string } };
  'continue-on-error'?: boolean;
  steps: Step[];
}
export interface Workflow {
  on: Record<string, unknown> | string | string[];
  permissions?: Permissions;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

export const parseWorkflow = (text: string): Workflow => parse(text) as Workflow;

/**
 * The release commits we pin, each checked against the action's own repository (its tag points at
 * this commit) and against several unrelated public repositories pinning the same SHA to the same
 * tag. Updating an action means verifying its new commit the same way and changing this table.
 */
export const verifiedPins: Record<string, string> = {
  'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683': 'v4.2.2',
  'actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020': 'v4.4.0',
  'actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02': 'v4.6.2',
  'actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093': 'v4.3.0',
  'actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea': 'v7.0.1',
};

export interface ActionReference {
  uses: string;
  /** The trailing comment, trimmed: the release tag the SHA stands for. */
  tag: string | undefined;
}

/** Every `uses:` in the workflow (steps and reusable-workflow jobs), with its trailing comment. */
export function actionReferences(text: string): ActionReference[] {
  const references: ActionReference[] = [];
  visit(parseDocument(text), {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'uses' && isScalar(pair.value)) {
        references.push({ uses: String(pair.value.value), tag: pair.value.comment?.trim() });
      }
    },
  });
  return references;
}

/** A moved or compromised tag must not change what runs: a full commit SHA, its tag in a comment. */
export function unpinnedActions(text: string): string[] {
  const problems: string[] = [];
  for (const { uses, tag } of actionReferences(text)) {
    if (!/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(uses)) problems.push(`${uses} is not pinned to a full commit SHA`);
    else if (!tag || !/^v\d+(\.\d+)*$/.test(tag)) problems.push(`${uses} has no release tag in a trailing comment`);
    else if (verifiedPins[uses] !== tag) problems.push(`${uses} # ${tag} is not a verified pin`);
  }
  return problems;
}

const stepsOf = (workflow: Workflow) =>
  Object.entries(workflow.jobs).flatMap(([jobName, job]) => (job.steps ?? []).map((step, index) => ({ where: `jobs.${jobName}.steps[${index}]`, step })));

const isCheckout = (step: Step) => step.uses?.startsWith('actions/checkout@') ?? false;

/** The token must not stay in .git/config, where every later step (and the code it runs) can read it. */
export function checkoutsKeepingCredentials(workflow: Workflow): string[] {
  return stepsOf(workflow)
    .filter(({ step }) => isCheckout(step) && step.with?.['persist-credentials'] !== false)
    .map(({ where }) => `${where}: actions/checkout without persist-credentials: false`);
}

/** A job's token: its own permissions block, else the workflow's; neither means the repository default. */
export const effectivePermissions = (workflow: Workflow, job: Job): Permissions | undefined => job.permissions ?? workflow.permissions;

/** Whether a token with these permissions can write anything. The repository default may write. */
export function canWrite(permissions: Permissions | undefined): boolean {
  if (permissions === undefined) return true;
  if (typeof permissions === 'string') return permissions !== 'read-all';
  return Object.values(permissions).some((access) => access !== 'read' && access !== 'none');
}

/** What in a job runs code from the repository (and so, in a pull request, the pull request's code). */
export function codeRunBy(job: Job): string[] {
  const found: string[] = [];
  for (const step of job.steps ?? []) {
    if (typeof step.run === 'string') found.push(`runs a script (${step.run.split('\n')[0]})`);
    if (isCheckout(step)) found.push('checks out the repository');
    if (step.uses?.startsWith('./')) found.push(`uses a local action (${step.uses})`);
    if (step.uses?.startsWith('actions/setup-node@')) found.push('sets up node');
  }
  if (/\bnpm\b/.test(JSON.stringify(job))) found.push('mentions npm');
  return found;
}

/** Code from the repository never runs next to a token that can write. */
export function codeInWritingJobs(workflow: Workflow): string[] {
  return Object.entries(workflow.jobs).flatMap(([jobName, job]) =>
    canWrite(effectivePermissions(workflow, job)) ? codeRunBy(job).map((what) => `jobs.${jobName} can write and ${what}`) : [],
  );
}

/** The workflow-wide token grants nothing that a job needs to ask for itself. */
export function workflowWidePermissions(workflow: Workflow): string[] {
  const permissions = workflow.permissions;
  if (permissions === undefined) return ['the workflow has no top-level permissions block (the repository default applies)'];
  if (typeof permissions === 'string' || Object.entries(permissions).some(([scope, access]) => scope !== 'contents' || access !== 'read')) {
    return [`the workflow-wide permissions ${JSON.stringify(permissions)} grant more than {} or contents: read`];
  }
  return [];
}

/** `${{ }}` inside a script is pasted into it before it runs: untrusted values come in through env. */
export function expressionsInScripts(workflow: Workflow): string[] {
  return stepsOf(workflow).flatMap(({ where, step }) => {
    const script = typeof step.run === 'string' ? step.run : step.uses?.startsWith('actions/github-script@') ? String(step.with?.script ?? '') : '';
    return script.includes('${{') ? [`${where}: an expression inside a script`] : [];
  });
}

/** Every promise that holds for every workflow. */
export function securityProblems(text: string): string[] {
  const workflow = parseWorkflow(text);
  return [
    ...unpinnedActions(text),
    ...checkoutsKeepingCredentials(workflow),
    ...workflowWidePermissions(workflow),
    ...codeInWritingJobs(workflow),
    ...expressionsInScripts(workflow),
  ];
}

/** The step that uses the deploy key, as deployKeyProblems names and finds it. */
export interface KeyUser {
  /** What the step is called in the findings: "apply", "status". */
  name: string;
  /** What its script runs, as a part of it: "apply:run", "npx --no-install fortress status ". */
  runs: string;
}
export const applyKeyUser: KeyUser = { name: 'apply', runs: 'apply:run' };

/**
 * The apply job's deploy key (or another job's, with the step that uses it): a secret of the
 * `production` environment, on disk only around the step that uses it (written with umask 077,
 * removed by an `always()` step right after it), and gone before any artifact is uploaded.
 */
export function deployKeyProblems(workflow: Workflow, jobName = 'apply', user: KeyUser = applyKeyUser): string[] {
  const job = workflow.jobs[jobName];
  if (!job) return [`no job ${jobName}`];
  const problems: string[] = [];
  const environment = typeof job.environment === 'string' ? job.environment : job.environment?.name;
  if (environment !== 'production') problems.push(`jobs.${jobName} does not run in the production environment`);

  const steps = job.steps;
  const secretIn = (env: Record<string, string> | undefined) => Object.values(env ?? {}).some((value) => /\bsecrets\./.test(value));
  if (secretIn(job.env) || secretIn(workflow.env)) problems.push('the secret is in a job- or workflow-wide env');
  const writeKey = steps.findIndex((step) => step.env?.FORTRESS_SSH_PRIVATE_KEY === '${{ secrets.FORTRESS_SSH_PRIVATE_KEY }}');
  const apply = steps.findIndex((step) => step.run?.includes(user.runs));
  const removeKey = steps.findIndex((step) => /^rm -f "\$RUNNER_TEMP\/fortress_ssh_key"$/.test(step.run?.trim() ?? ''));
  if (writeKey < 0) problems.push('no step writes the key from secrets.FORTRESS_SSH_PRIVATE_KEY');
  else if (!steps[writeKey]!.run?.includes('umask 077')) problems.push('the key is written without umask 077');
  if (steps.filter((step) => secretIn(step.env)).length > 1) problems.push('the secret reaches more than the one step that writes the key');
  if (apply < 0) problems.push(`no step runs ${user.runs}`);
  if (removeKey < 0) problems.push('no step removes the key');
  else if (!/^(\$\{\{\s*)?always\(\)(\s*\}\})?$/.test(steps[removeKey]!.if?.trim() ?? '')) problems.push('the key removal does not run if: always()');
  if (apply >= 0 && writeKey >= 0 && writeKey !== apply - 1) problems.push(`the key is not written right before ${user.name}`);
  if (apply >= 0 && removeKey >= 0 && removeKey !== apply + 1) problems.push(`the key is not removed right after ${user.name}`);
  steps.forEach((step, index) => {
    if (step.uses?.startsWith('actions/upload-artifact@') && (removeKey < 0 || index < removeKey)) {
      problems.push(`jobs.${jobName}.steps[${index}] uploads an artifact while the key is on disk`);
    }
  });
  return problems;
}

/**
 * The events a workflow whose jobs write may run on, when those jobs run a script of the repository:
 * each runs the workflow and scripts of a branch someone with write access pushed (the default
 * branch for push to main and schedule), never a pull request's.
 */
export const defaultBranchEvents = ['push', 'schedule', 'workflow_dispatch'] as const;

/** The one folder a writing job may check out, and the scripts in it that it may run. */
export const writingJobScripts = 'scripts/github';

const eventsOf = (workflow: Workflow): string[] =>
  typeof workflow.on === 'string' ? [workflow.on] : Array.isArray(workflow.on) ? workflow.on : Object.keys(workflow.on ?? {});

/** The workflow runs only on events that run the code of a branch, never of a pull request. */
export function nonDefaultBranchEvents(workflow: Workflow): string[] {
  return eventsOf(workflow)
    .filter((event) => !(defaultBranchEvents as readonly string[]).includes(event))
    .map((event) => `the workflow runs on ${event}, not only on ${defaultBranchEvents.join(', ')}`);
}

/**
 * A job that can write (apply's comment, drift's issue) holds its token next to nothing else: no
 * environment and no secret (the deploy key stays in the read-only job), no npm, no fortress, no
 * setup-node, no local action. It checks out only scripts/github (a sparse checkout of the commit the
 * run is for, without credentials), downloads artifacts, and runs `node scripts/github/<name>.mjs`
 * with arguments that come in through env; nothing sets NODE_OPTIONS, a shell or a directory that
 * could make node run anything else.
 */
export function writingJobProblems(workflow: Workflow): string[] {
  const problems: string[] = [];
  const loaderEnv = (env: Record<string, string> | undefined) => Object.keys(env ?? {}).filter((name) => /^(NODE_|npm_config_)/i.test(name));
  const script = new RegExp(`^node ${writingJobScripts}/[\\w-]+\\.mjs(?: "\\$[A-Z_]+(?:/[\\w.-]+)*")*$`);
  for (const [jobName, job] of Object.entries(workflow.jobs)) {
    if (!canWrite(effectivePermissions(workflow, job))) continue;
    const where = `jobs.${jobName}`;
    if (job.environment !== undefined) problems.push(`${where} can write and runs in an environment`);
    if (/\bsecrets(\.|\s*\[)/.test(JSON.stringify(job))) problems.push(`${where} can write and reads a secret`);
    if (/\bnpm\b/.test(JSON.stringify(job))) problems.push(`${where} can write and mentions npm`);
    for (const name of [...loaderEnv(workflow.env), ...loaderEnv(job.env)]) problems.push(`${where} can write and sets ${name} for every step`);
    if (job.defaults?.run !== undefined) problems.push(`${where} can write and sets a default shell or directory`);
    job.steps.forEach((step, index) => {
      const at = `${where}.steps[${index}]`;
      for (const name of loaderEnv(step.env)) problems.push(`${at} sets ${name}`);
      if (step.shell !== undefined) problems.push(`${at} sets its own shell`);
      if (step['working-directory'] !== undefined) problems.push(`${at} sets a working directory`);
      if (typeof step.run === 'string' && !script.test(step.run.trim())) {
        problems.push(`${at} runs something other than node ${writingJobScripts}/<script>.mjs ("$ARGUMENT"…): ${step.run.trim().split('\n')[0]}`);
      }
      if (step.uses === undefined) return;
      if (isCheckout(step)) {
        const options = step.with ?? {};
        if (options['sparse-checkout'] !== writingJobScripts || options['sparse-checkout-cone-mode'] !== false) problems.push(`${at} checks out more than ${writingJobScripts}`);
        if (options.ref !== undefined || options.repository !== undefined) problems.push(`${at} checks out ${String(options.repository ?? '')}@${String(options.ref ?? '')}, not this run's commit`);
      } else if (!step.uses.startsWith('actions/download-artifact@')) {
        problems.push(`${at} can write and uses ${step.uses.replace(/@.*/, '')}`);
      }
    });
  }
  return problems;
}

/**
 * The promises of a workflow that runs on the default branch only (apply.yml, drift.yml): those of
 * every workflow, except that a job that can write may run a script of scripts/github, and nothing
 * more (writingJobProblems).
 */
export function defaultBranchSecurityProblems(text: string): string[] {
  const workflow = parseWorkflow(text);
  return [
    ...unpinnedActions(text),
    ...checkoutsKeepingCredentials(workflow),
    ...workflowWidePermissions(workflow),
    ...nonDefaultBranchEvents(workflow),
    ...writingJobProblems(workflow),
    ...expressionsInScripts(workflow),
  ];
}

/** The refs a checkout of the base branch may name: its commit as the event saw it, or its name. */
export const baseRefs = ['${{ github.event.pull_request.base.sha }}', '${{ github.base_ref }}'];

/** A directory relative to the workspace, as the runner resolves it: `base/../head` is `head`. */
const normalDir = (dir: string | undefined) => posix.normalize(dir ?? '.').replace(/(.)\/+$/, '$1');
const within = (dir: string, root: string) => dir === root || dir.startsWith(`${root}/`);

/**
 * The job whose output becomes the review comment runs no code from the pull request, so that the
 * pull request cannot rewrite its own review: it checks out the pull request only as data (one
 * checkout without a ref, in its own directory) and the base branch in another, both without
 * credentials; npm runs only in the base checkout; in the pull request's checkout only node runs, and
 * only a script of the base checkout, which includes `diff --base … --format markdown`; no local
 * action, no cache the pull request's own job could have written, and no script that refers to the
 * pull request's checkout from elsewhere.
 */
export function reviewJobProblems(workflow: Workflow, jobName = 'review'): string[] {
  const job = workflow.jobs[jobName];
  if (!job) return [`no job ${jobName}`];
  const where = `jobs.${jobName}`;
  const problems: string[] = [];

  const checkouts = job.steps.filter(isCheckout);
  const heads = checkouts.filter((step) => step.with?.ref === undefined);
  const bases = checkouts.filter((step) => baseRefs.includes(String(step.with?.ref)));
  if (heads.length !== 1) problems.push(`${where} checks out the pull request ${heads.length} times, not once`);
  if (bases.length !== 1) problems.push(`${where} checks out the base branch ${bases.length} times, not once`);
  for (const other of checkouts.filter((step) => !heads.includes(step) && !bases.includes(step))) problems.push(`${where} checks out ${String(other.with?.ref)}`);
  for (const step of checkouts.filter((s) => s.with?.['persist-credentials'] !== false)) problems.push(`${where}: a checkout of ${String(step.with?.path ?? '.')} keeps its credentials`);
  // Where the checkouts are unclear, so is what each script runs: nothing more to check.
  if (heads.length !== 1 || bases.length !== 1) return problems;
  const headDir = normalDir(String(heads[0]!.with?.path ?? '.'));
  const baseDir = normalDir(String(bases[0]!.with?.path ?? '.'));
  if (headDir === '.' || baseDir === '.' || within(headDir, baseDir) || within(baseDir, headDir)) {
    problems.push(`${where} checks out the pull request (${headDir}) and the base branch (${baseDir}) into directories that overlap`);
    return problems;
  }

  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const relativeBase = headDir.split('/').map(() => '..').join('/') + `/${baseDir}`;
  // A file under the base checkout: no segment may climb out of it (`../base/../head/x.js`).
  const baseScript = new RegExp(`^node "?${escape(relativeBase)}/(?:[\\w-][\\w.-]*/)*[\\w-][\\w.-]*\\.m?js"? `);
  // NODE_OPTIONS=--require head/x.js, npm_config_…: the environment can run code that no script names.
  const loaderEnv = (env: Record<string, string> | undefined) => Object.keys(env ?? {}).filter((name) => /^(NODE_|npm_config_)/i.test(name));
  for (const name of [...loaderEnv(workflow.env), ...loaderEnv(job.env)]) problems.push(`${where}: ${name} is set for every step`);
  if (job.defaults?.run?.shell !== undefined) problems.push(`${where} sets a default shell`);
  let reviews = 0;
  for (const step of job.steps) {
    const label = step.name ?? step.id ?? step.uses ?? step.run?.split('\n')[0];
    for (const name of loaderEnv(step.env)) problems.push(`${where}: ${label} sets ${name}`);
    if (step.shell !== undefined) problems.push(`${where}: ${label} sets its own shell`);
    if (step.uses?.startsWith('./')) problems.push(`${where}: ${label} uses a local action`);
    if (step.uses?.startsWith('actions/setup-node@') && step.with?.cache) problems.push(`${where}: ${label} restores a cache that the pull request's own job can write`);
    if (typeof step.run !== 'string') continue;
    const dir = normalDir(step['working-directory'] ?? job.defaults?.run?.['working-directory']);
    const script = step.run.trim();
    if (within(dir, headDir)) {
      if (dir !== headDir || !baseScript.test(script) || script.includes('\n') || /[;&|`]|\$\(/.test(script.replace(/ > "\$RUNNER_TEMP\/[\w.-]+"$/, ''))) {
        problems.push(`${where}: ${label} runs something other than the base branch's fortress in the pull request's checkout`);
      } else if (/ diff --base "?origin\/\$BASE_REF"? /.test(`${script} `) && / --format markdown\b/.test(script)) {
        reviews += 1;
      }
    } else {
      if (/\b(npm|npx|node|yarn|pnpm)\b/.test(script) && !within(dir, baseDir)) problems.push(`${where}: ${label} runs node or npm outside the base branch's checkout`);
      if (new RegExp(`(^|[\\s"'=/])${escape(headDir)}(/|\\b)`).test(script)) problems.push(`${where}: ${label} refers to the pull request's checkout`);
    }
  }
  if (reviews !== 1) problems.push(`${where} has ${reviews} steps running the base branch's fortress diff --base --format markdown in the pull request's checkout, not one`);
  return problems;
}

/** A changed copy of a parsed workflow or action, written back as YAML (comments are not kept). */
export function changedCopy<T>(text: string, change: (parsed: T) => void): T {
  const parsed = structuredClone(parse(text) as T);
  change(parsed);
  return parse(stringify(parsed)) as T;
}

/** A composite action's metadata (action.yml): what it takes, and the steps it runs in the caller's job. */
export interface Action {
  name: string;
  description: string;
  inputs?: Record<string, { description?: string; required?: boolean; default?: string }>;
  runs: { using: string; steps?: Step[] };
}

export const parseAction = (text: string): Action => parse(text) as Action;

/** The action's steps as the one job of a workflow, so that the workflows' checks read them too. */
export const actionAsWorkflow = (action: Action): Workflow => ({ on: 'workflow_call', jobs: { runs: { steps: action.runs?.steps ?? [] } } });
/** Their findings, named as in action.yml: `runs.steps[2]`, not `jobs.runs.steps[2]`. */
const namedInAction = (problems: string[]) => problems.map((problem) => problem.replace(/^jobs\.runs\./, 'runs.'));

/** Only a composite action runs its steps in the caller's job, over the caller's checkout. */
export function notComposite(action: Action): string[] {
  return action.runs?.using === 'composite' ? [] : [`runs.using is ${JSON.stringify(action.runs?.using)}, not composite`];
}

/** A composite action's script has no default shell: the runner refuses an action whose run step names none. */
export function scriptsWithoutShell(action: Action): string[] {
  return (action.runs?.steps ?? []).flatMap((step, index) => (typeof step.run === 'string' && !step.shell ? [`runs.steps[${index}]: a script without shell`] : []));
}

/** `${{ inputs.… }}` inside a script is pasted into it before it runs, like any expression: inputs come in through env. */
export const expressionsInActionScripts = (action: Action): string[] => namedInAction(expressionsInScripts(actionAsWorkflow(action)));

/** The promises every workflow keeps that apply to an action's steps, and its own shape. */
export function actionProblems(text: string): string[] {
  const action = parseAction(text);
  return [
    ...notComposite(action),
    ...unpinnedActions(text),
    ...namedInAction(checkoutsKeepingCredentials(actionAsWorkflow(action))),
    ...expressionsInActionScripts(action),
    ...scriptsWithoutShell(action),
  ];
}

/**
 * The action's deploy key, as apply.yml's: from its input into the environment of the one step that
 * writes it (umask 077), on disk only for the steps that use it, removed by an `always()` step right
 * after them, and gone before any artifact is uploaded.
 */
export function actionKeyProblems(action: Action, users: readonly string[] = ['apply', 'status']): string[] {
  const steps = action.runs?.steps ?? [];
  const problems: string[] = [];
  const secretIn = (step: Step) => Object.values({ ...step.env, ...step.with }).some((value) => /\binputs\.ssh-private-key\b/.test(String(value)));
  const writeKey = steps.findIndex((step) => step.env?.FORTRESS_SSH_PRIVATE_KEY === '${{ inputs.ssh-private-key }}');
  const removeKey = steps.findIndex((step) => /^rm -f "\$RUNNER_TEMP\/fortress_ssh_key"$/.test(step.run?.trim() ?? ''));
  if (writeKey < 0) problems.push('no step writes the key from inputs.ssh-private-key');
  else if (!steps[writeKey]!.run?.includes('umask 077')) problems.push('the key is written without umask 077');
  if (steps.filter(secretIn).length > 1) problems.push('the key reaches more than the one step that writes it');
  if (removeKey < 0) problems.push('no step removes the key');
  else if (!/^(\$\{\{\s*)?always\(\)(\s*\}\})?$/.test(steps[removeKey]!.if?.trim() ?? '')) problems.push('the key removal does not run if: always()');
  if (writeKey >= 0 && removeKey >= 0) {
    const onDisk = steps.slice(writeKey + 1, removeKey).map((step) => step.id ?? step.name ?? step.uses ?? step.run);
    if (JSON.stringify(onDisk) !== JSON.stringify(users)) problems.push(`the key is on disk for ${JSON.stringify(onDisk)}, not for ${JSON.stringify(users)} alone`);
  }
  steps.forEach((step, index) => {
    if (step.uses?.startsWith('actions/upload-artifact@') && (removeKey < 0 || index < removeKey)) problems.push(`runs.steps[${index}] uploads an artifact while the key is on disk`);
  });
  return problems;
}
