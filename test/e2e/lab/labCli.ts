// fortress's CLI run in-process against an apply lab's repository, authenticating with the lab's
// client key: what the lab tests call instead of a shell.
import { runCli } from '../../../src/cli/runCli.js';
import type { StatusReport } from '../../../src/status/statusReport.js';
import type { ApplyLab } from './applyLab.js';

/** `apply --format json`, as the tests read it. */
export interface ApplyReport {
  ok: boolean;
  hosts: { host: string; result: string; message?: string; disruption?: string; changedFiles?: string[]; removedFiles?: string[]; rttMs?: number; seconds: number }[];
}

export interface LabCli {
  fortress(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `apply --format json` with `applyFlags` and `extra`; log is its progress on stderr. */
  apply(...extra: string[]): Promise<{ code: number; report: ApplyReport; log: string }>;
  /** `status --format json` with `extra`; stderr holds what status said besides the report. */
  status(...extra: string[]): Promise<{ code: number; report: StatusReport; stderr: string }>;
}

/** @param fleet the lab, once built (tests build it in beforeAll) */
export function labCli(fleet: () => ApplyLab, applyFlags: readonly string[] = []): LabCli {
  const fortress: LabCli['fortress'] = async (...argv) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { cwd: fleet().dir, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { sshKeyFile: fleet().clientKeyPath } });
    return { code, stdout, stderr };
  };
  return {
    fortress,
    async apply(...extra) {
      const run = await fortress('apply', '--format', 'json', ...applyFlags, ...extra);
      return { code: run.code, report: JSON.parse(run.stdout) as ApplyReport, log: run.stderr };
    },
    async status(...extra) {
      const run = await fortress('status', '--format', 'json', ...extra);
      return { code: run.code, report: JSON.parse(run.stdout) as StatusReport, stderr: run.stderr };
    },
  };
}
