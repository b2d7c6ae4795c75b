// Rendered tfvars are `terraform fmt` clean and a module declaring docs/terraform-module/variables.tf
// accepts them in `terraform plan`, every value coming back exactly as the topology wrote it.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HostModel, TopologyModel } from '../../src/model/topologyModel.js';
import { renderTerraformVars } from '../../src/render/terraform/renderTerraformVars.js';
import { renderedSamples } from '../support/renderedSamples.js';
import { compileText, repoRoot } from '../support/compileExample.js';
import { smallTopology } from '../support/smallTopology.js';
import { requireTools } from '../support/tools.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'fortress-terraform-'));
// No update check (it would phone HashiCorp) and no interactive prompts.
const env = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0', TF_CLI_CONFIG_FILE: '/dev/null' };
const terraform = (cwd: string, ...args: string[]) => exec('terraform', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });

beforeAll(() => requireTools('terraform'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const samples = renderedSamples();

/** `terraform fmt -check` on one tfvars file, alone in a directory. */
async function formatCheck(name: string, tfvars: string): Promise<void> {
  const out = join(dir, `fmt-${name}`);
  mkdirSync(out);
  writeFileSync(join(out, 'site.auto.tfvars'), tfvars);
  await terraform(out, 'fmt', '-check', '-diff', '.');
}

/** The variables as `terraform plan` read them from one tfvars file, through docs/terraform-module/variables.tf. */
async function planOutputs(name: string, site: string, tfvars: string): Promise<Record<string, { value: unknown }>> {
  const module = join(dir, `plan-${name}`);
  mkdirSync(module);
  copyFileSync(join(repoRoot, 'docs/terraform-module/variables.tf'), join(module, 'variables.tf'));
  writeFileSync(join(module, 'outputs.tf'), 'output "site" { value = var.site }\noutput "mesh" { value = var.mesh }\noutput "hosts" { value = var.hosts }\n');
  writeFileSync(join(module, `${site}.auto.tfvars`), tfvars);
  await terraform(module, 'init', '-backend=false', '-no-color');
  await terraform(module, 'plan', '-no-color', '-out=plan.bin');
  const plan = JSON.parse((await terraform(module, 'show', '-json', 'plan.bin')).stdout) as { planned_values: { outputs: Record<string, { value: unknown }> } };
  return plan.planned_values.outputs;
}

/** var.hosts as the tfvars of `site` should set it: every attribute a string, as `map(string)` converts it. */
function expectedHosts(model: TopologyModel, site: string) {
  return Object.fromEntries(
    model.hosts
      .filter((h) => h.site.name === site)
      .map((h) => [h.name, { mesh_address: h.meshAddress, public_key: h.publicKey, roles: h.roles, terraform: Object.fromEntries(h.terraform.map(([k, v]) => [k, String(v)])) }]),
  );
}

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
    async (name, site, compiled) => {
      const tfvars = compiled.files.find((f) => f.path === `terraform/${site}.auto.tfvars`)!.content;
      const outputs = await planOutputs(`${name.replace(/\W/g, '_')}-${site}`, site, tfvars);
      const { model } = compiled;
      expect(outputs.site!.value).toEqual(model.sites.find((s) => s.name === site));
      expect(outputs.hosts!.value).toEqual(expectedHosts(model, site));
      const mesh = outputs.mesh!.value as { cidr: string; hubs: Record<string, { public_key: string; endpoint: string }> };
      expect(mesh.cidr).toBe(model.mesh.cidr);
      for (const hub of model.hosts.filter((h) => h.isHub)) {
        expect(mesh.hubs[hub.name]).toEqual({ endpoint: hub.endpoint, port: model.mesh.listenPort, public_key: hub.publicKey, mesh_address: hub.meshAddress });
      }
    },
    60_000,
  );

  // Attribute names under a host's `terraform:` are the user's: unquoted, `for = ...` is a syntax error
  // in HCL, and `null`, `true` or a leading digit are no identifiers. The schema lets keywords through
  // (they are lower-case identifiers); names it refuses today (a digit first, a dash) are rendered
  // straight from the model, so the file stays valid whatever the schema allows tomorrow.
  test('attribute names that are HCL keywords or start with a digit: fmt -check passes and plan reads them back', async () => {
    const keywords = { for: 'a', if: 'b', in: 'c', null: 'd', true: 'e', false: 'f', endfor: 'g', else: 'h', count: 2, each: true, self: 'i', var: 'j' };
    const compiled = compileText(
      smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.10', terraform: keywords }, app: { roles: ['app'], terraform: { instance_type: 'c6i.large' } } }),
    );
    const beyondSchema: HostModel['terraform'] = [['1st', 'x'], ['0', 'y'], ['a-b', 'z'], ['for', 'w'], ['${x}', 'literal']];
    const model: TopologyModel = { ...compiled.model, hosts: compiled.model.hosts.map((h) => (h.name === 'app' ? { ...h, terraform: beyondSchema } : h)) };
    const tfvars = renderTerraformVars(model, model.sites.find((s) => s.name === 'oslo')!, { source: 'topology/topology.yaml' }).content;
    expect(tfvars).toContain('"for"');
    expect(tfvars).toContain('"1st"');
    expect(tfvars).toContain('mesh_address = '); // keys fortress fixes stay bare

    await formatCheck('keywords', tfvars);
    const outputs = await planOutputs('keywords', 'oslo', tfvars);
    expect(outputs.hosts!.value).toEqual(expectedHosts(model, 'oslo'));
    expect((outputs.hosts!.value as Record<string, { terraform: Record<string, string> }>).app!.terraform['${x}']).toBe('literal');
  }, 60_000);

  test('awkward values survive: ${...}, %{...}, quotes, backslashes, & and <', () => {
    const fixture = readFileSync(join(repoRoot, 'test/fixtures/full-mesh.yaml'), 'utf8');
    expect(fixture).toContain('${var.x}');
    const web = samples[1]![1].model.hosts.find((h) => h.name === 'web-01')!;
    // The plan test above compared this value with what terraform read; make sure it is the awkward one.
    expect(Object.fromEntries(web.terraform).note).toBe('quote " backslash \\ dollar ${var.x} percent %{x} & <tag>');
  });
});
