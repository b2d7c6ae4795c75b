// Where a command run from a subdirectory finds its repository: the nearest directory above that holds
// topology/topology.yaml, else the git root, else where it was run. Only when neither --topology nor
// --out names the paths, so an explicit path always means what it says from the current directory.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function findRepositoryRoot(cwd: string, topologyPath: string): string {
  let gitRoot: string | undefined;
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, topologyPath))) return dir;
    if (gitRoot === undefined && existsSync(join(dir, '.git'))) gitRoot = dir;
    if (dirname(dir) === dir) return gitRoot ?? cwd;
  }
}
