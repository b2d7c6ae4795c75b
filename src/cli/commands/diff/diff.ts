// `fortress diff`: the working tree's topology compiled in memory, against rendered/ on disk or, with
// --base, against the topology and lock as they were at a git ref, also compiled in memory.
import { readRenderedTree } from '../../../emit/renderedTree.js';
import { decodeSource } from '../../../load/decodeSource.js';
import { buildReview, hasChanges, type CommittedTrees } from '../../../review/buildReview.js';
import { formatReviewMarkdown } from '../../../review/formatMarkdown.js';
import { formatReviewText } from '../../../review/formatText.js';
import { snapshotOfCompiled, snapshotOfFiles, type TreeSnapshot } from '../../../review/treeSnapshot.js';
import type { CliOptions } from '../../command.js';
import { gitBlobId, openGitTree, type GitTree } from '../../gitTree.js';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../../io.js';
import { reportInvalid } from '../../report.js';
import { compileFrom, readSource, resolvePaths, type ReadSource } from '../../workingTree.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  const paths = resolvePaths(options, io.cwd);
  const baseRef = typeof options.values.base === 'string' ? options.values.base : undefined;
  const compileSide = async (label: string, read: ReadSource): Promise<TreeSnapshot | undefined> => {
    const { found, compiled, diagnostics } = await compileFrom(read, paths);
    if (!found) return snapshotOfFiles(`${label} (no topology)`, new Map());
    if (compiled) return snapshotOfCompiled(label, compiled);
    io.stderr(`fortress: the topology of ${label} is invalid:\n`);
    reportInvalid(diagnostics, options, io);
    return undefined;
  };

  const head = await compileSide('working tree', (path) => readSource(io, path, { optional: true }));
  let base: TreeSnapshot | undefined;
  let committed: CommittedTrees | undefined;
  if (baseRef === undefined) {
    base = snapshotOfFiles(`${options.out}/`, readRenderedTree(paths.out));
  } else {
    const tree = await openGitTree(io.cwd, baseRef);
    base = await compileSide(baseRef, async (path) => {
      const bytes = await tree.read(path);
      return bytes === undefined ? undefined : decodeSource(`${baseRef}:${path}`, bytes);
    });
    if (base) committed = await committedTrees(tree, base, paths.out, baseRef, options.out);
  }
  if (!head || !base) return EXIT_FAILED;

  const review = buildReview(base, head, committed);
  if (options.format === 'json') io.stdout(`${JSON.stringify(review, null, 2)}\n`);
  else if (options.format === 'markdown') io.stdout(formatReviewMarkdown(review, baseRef === undefined ? {} : { baseRef }));
  else io.stdout(formatReviewText(review, { color: io.color === true }));
  return options.values['exit-code'] === true && hasChanges(review) ? EXIT_FAILED : EXIT_OK;
}

/**
 * The rendered/ committed at the base ref and the one in the working tree: what apply pushes. Reading
 * a file from git costs a process, so only files whose blob differs from the compiled base are read.
 * Absent when either side has no rendered tree (a repository adopting fortress).
 */
async function committedTrees(tree: GitTree, compiledBase: TreeSnapshot, out: string, baseRef: string, outName: string): Promise<CommittedTrees | undefined> {
  const blobs = await tree.listDirectory(out);
  const onDisk = readRenderedTree(out);
  if (blobs.size === 0 || onDisk.size === 0) return undefined;
  const baseFiles = new Map<string, string>();
  for (const [path, id] of blobs) {
    const known = compiledBase.files.get(path);
    baseFiles.set(path, known !== undefined && gitBlobId(known) === id ? known : await tree.readBlob(id));
  }
  return { base: snapshotOfFiles(`${baseRef}:${outName}/`, baseFiles), head: snapshotOfFiles(`${outName}/`, onDisk) };
}
