// Rendered tfvars are `terraform fmt` clean and a module declaring docs/terraform-module/variables.tf
// accepts them in `terraform plan`, every value coming back exactly as the topology wrote it.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { renderedSamples } from '../support/renderedSamples.js';
import { repoRoot } from '../support/compileExample.js';
import { requireTools } from '../support/tools.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'fortress-terraform-'));
// No update check (it would phone HashiCorp) and no interactive prompts.
const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0', TF_CLI_CONFIG_FILE: '/dev/null' };
const terraform = (cwd: string, ...args: string[]) => exec('terraform', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });

beforeAll(() => requireTools('terraform'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const samples = renderedSamples();

describe('terraform', () => {
  test.each(samples)('fmt -check accepts every tfvars file of the %s', async (name, compiled) => {
    const out = join(dir, `fmt-${name.replace(/\W/g, '_')}`);
    mkdirSync(out);
    const tfvars = compiled.files.filter((f) => f.path.startsWith('terraform/'));
    expect(tfvars.length).toBe(compiled.model.sites.length);
    for (const f of tfvars) writeFileSync(join(out, f.path.slice('terraform/'.length)), f.content);
    await terraform(out, 'fmt', '-check', '-diff', '.');
  });

  test.each(samples.flatMap(([name, compiled]) => compiled.model.sites.map((site) => [name, site.name, compiled] as const)))(
    'plan reads the %s site %s literally',
    async (_name, site, compiled) => {
      const module = join(dir, `plan-${_name.replace(/\W/g, '_')}-${site}`);
      mkdirSync(module);
      copyFileSync(join(repoRoot, 'docs/terraform-module/variables.tf'), join(module, 'variables.tf'));
      writeFileSync(join(module, 'outputs.tf'), 'output "site" { value = var.site }\noutput "mesh" { value = var.mesh }\noutput "hosts" { value = var.hosts }\n');
      writeFileSync(join(module, `${site}.auto.tfvars`), compiled.files.find((f) => f.path === `terraform/${site}.auto.tfvars`)!.content);
      await terraform(module, 'init', '-backend=false', '-no-color');
      await terraform(module, 'plan', '-no-color', '-out=plan.bin');
      const plan = JSON.parse((await terraform(module, 'show', '-json', 'plan.bin')).stdout) as { planned_values: { outputs: Record<string, { value: unknown }> } };
      const outputs = plan.planned_values.outputs;

      const { model } = compiled;
      const hosts = model.hosts.filter((h) => h.site.name === site);
      expect(outputs.site!.value).toEqual(model.sites.find((s) => s.name === site));
      expect(outputs.hosts!.value).toEqual(
        Object.fromEntries(
          hosts.map((h) => [
            h.name,
            { mesh_address: h.meshAddress, public_key: h.publicKey, roles: h.roles, terraform: Object.fromEntries(h.terraform.map(([k, v]) => [k, String(v)])) },
          ]),
        ),
      );
      const mesh = outputs.mesh!.value as { cidr: string; hubs: Record<string, { public_key: string; endpoint: string }> };
      expect(mesh.cidr).toBe(model.mesh.cidr);
      for (const hub of model.hosts.filter((h) => h.isHub)) {
        expect(mesh.hubs[hub.name]).toEqual({ endpoint: hub.endpoint, port: model.mesh.listenPort, public_key: hub.publicKey, mesh_address: hub.meshAddress });
      }
    },
    60_000,
  );

  test('awkward values survive: ${...}, %{...}, quotes, backslashes, & and <', () => {
    const fixture = readFileSync(join(repoRoot, 'test/fixtures/full-mesh.yaml'), 'utf8');
    expect(fixture).toContain('${var.x}');
    const web = samples[1]![1].model.hosts.find((h) => h.name === 'web-01')!;
    // The plan test above compared this value with what terraform read; make sure it is the awkward one.
    expect(Object.fromEntries(web.terraform).note).toBe('quote " backslash \\ dollar ${var.x} percent %{x} & <tag>');
  });
});
