// Paths in what fortress prints are the ones a user would type: relative to where fortress runs.
import { relative, resolve, sep } from 'node:path';

/** Relative to cwd (`..` included), with forward slashes, as annotations and other platforms expect. */
export function displayPath(cwd: string, path: string): string {
  return relative(cwd, resolve(cwd, path)).split(sep).join('/') || '.';
}
