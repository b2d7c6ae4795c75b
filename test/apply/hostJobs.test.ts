// What apply carries to each host: the files of the manifest with a path on that host, and never the
// host's cloud-init.yaml, which is first-boot user-data for Terraform and stays in the repository.
import { describe, expect, test } from 'vitest';
import { hostJobs } from '../../src/apply/hostJobs.js';
import type { Manifest } from '../../src/emit/manifest.js';
import { compileExample } from '../support/compileExample.js';

describe('hostJobs', () => {
  const compiled = compileExample();
  const files = new Map(compiled.files.map((f) => [f.path, f.content]));

  test("a host's files are the manifest's files with a path on it; cloud-init.yaml is not one of them", () => {
    const jobs = hostJobs(compiled.model, compiled.manifest, files);
    expect(jobs.map((j) => j.host)).toEqual(compiled.model.hosts.map((h) => h.name));
    for (const job of jobs) {
      expect(job.files.length).toBeGreaterThan(0);
      expect(job.files.every((f) => f.hostPath.startsWith('/etc/'))).toBe(true);
      expect(job.files.map((f) => f.path)).not.toContain(`hosts/${job.host}/cloud-init.yaml`);
      expect(job.files.map((f) => f.path).sort()).toEqual(
        compiled.files.filter((f) => f.path.startsWith(`hosts/${job.host}/`) && !f.path.endsWith('/cloud-init.yaml')).map((f) => f.path).sort(),
      );
    }
    // The manifest lists the user-data with its hash, as a file of the repository: no host, no path on one.
    const userData = compiled.manifest.files.find((f) => f.path === 'hosts/oslo-db-01/cloud-init.yaml');
    expect(userData).toEqual({ path: 'hosts/oslo-db-01/cloud-init.yaml', sha256: expect.stringMatching(/^[0-9a-f]{64}$/), mode: '0644', reload: 'none' });
  });

  test('a manifest entry named for a host but without a path on it is still never sent', () => {
    // As a manifest written by another fortress version could hold it.
    const manifest: Manifest = { ...compiled.manifest, files: compiled.manifest.files.map((f) => (f.path.endsWith('/cloud-init.yaml') ? { ...f, host: f.path.split('/')[1]! } : f)) };
    for (const job of hostJobs(compiled.model, manifest, files)) expect(job.files.some((f) => f.path.endsWith('/cloud-init.yaml'))).toBe(false);
  });
});
