// A throwaway repository directory with a topology in it, and the CLI run in-process against it.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli } from '../../src/cli/runCli.js';
import { repoRoot } from './compileExample.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export class TempRepo {
  readonly dir = mkdtempSync(join(tmpdir(), 'fortress-repo-'));

  static withExample(): TempRepo {
    const repo = new TempRepo();
    mkdirSync(join(repo.dir, 'topology'));
    cpSync(join(repoRoot, 'topology/topology.yaml'), join(repo.dir, 'topology/topology.yaml'));
    return repo;
  }

  write(path: string, content: string): void {
    mkdirSync(join(this.dir, path, '..'), { recursive: true });
    writeFileSync(join(this.dir, path), content);
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  async run(...argv: string[]): Promise<CliRun> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { cwd: this.dir, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  }

  /** Every file under the repository with its bytes and mtime: to prove that nothing was touched. */
  snapshot(): Record<string, string> {
    const files: Record<string, string> = {};
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else files[relative(this.dir, path)] = `${statSync(path).mtimeMs} ${readFileSync(path, 'base64')}`;
      }
    };
    walk(this.dir);
    return files;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
