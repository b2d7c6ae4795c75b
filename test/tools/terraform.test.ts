// Rendered tfvars are `terraform fmt` clean and a module declaring docs/terraform-module/variables.tf
// accepts them in `terraform plan`, every value coming back exactly as the topology wrote it; and the
// example module docs/terraform-module/ itself passes `init` (offline: it needs no provider),
// `validate` and `plan` with every site's tfvars, handing each host its rendered cloud-init.yaml.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  // No main.tf here reads a file: the repository root only has to be set.
  await terraform(module, 'plan', '-no-color', '-var', 'repository_root=/nonexistent', '-out=plan.bin');
  const plan = JSON.parse((await terraform(module, 'show', '-json', 'plan.bin')).stdout) as { planned_values: { outputs: Record<string, { value: unknown }> } };
  return plan.planned_values.outputs;
}

/** var.hosts as the tfvars of `site` should set it: every attribute a string, as `map(string)` converts it. */
function expectedHosts(model: TopologyModel, site: string) {
  return Object.fromEntries(
    model.hosts
      .filter((h) => h.site.name === site)
      .map((h) => [
        h.name,
        {
          mesh_address: h.meshAddress,
          public_key: h.publicKey,
          roles: h.roles,
          cloud_init: `rendered/hosts/${h.name}/cloud-init.yaml`,
          terraform: Object.fromEntries(h.terraform.map(([k, v]) => [k, String(v)])),
          peers: Object.fromEntries(h.peers.map((p) => [p.name, p.allowedIps])),
        },
      ]),
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
      const mesh = outputs.mesh!.value as {
        cidr: string;
        keepalive: number;
        shape: string;
        hubs: Record<string, { public_key: string; endpoint: string }>;
        peers: Record<string, { public_key: string; mesh_address: string; endpoint: string | null }>;
      };
      expect(mesh).toMatchObject({ cidr: model.mesh.cidr, keepalive: model.mesh.persistentKeepalive, shape: model.mesh.shape });
      for (const hub of model.hosts.filter((h) => h.isHub)) {
        expect(mesh.hubs[hub.name]).toEqual({ endpoint: hub.endpoint, port: model.mesh.listenPort, public_key: hub.publicKey, mesh_address: hub.meshAddress });
      }
      // Every peer of a host of the site, with what its [Peer] section needs; in a full mesh too, which has no hubs.
      const peers = model.hosts.filter((h) => h.site.name === site).flatMap((h) => h.peers);
      expect(Object.keys(mesh.peers).sort()).toEqual([...new Set(peers.map((p) => p.name))].sort());
      for (const peer of peers) {
        const host = model.hosts.find((h) => h.name === peer.name)!;
        expect(mesh.peers[peer.name]).toEqual({ public_key: peer.publicKey, mesh_address: host.meshAddress, endpoint: peer.endpoint ?? null });
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

  test.each(samples)('the example module: init without a provider, validate, and plan with every site of the %s', async (name, compiled) => {
    // A repository with the sample's rendered tree, as the module reads it through repository_root.
    const repository = mkdtempSync(join(dir, 'repository-'));
    for (const f of compiled.files) {
      mkdirSync(join(repository, 'rendered', f.path, '..'), { recursive: true });
      writeFileSync(join(repository, 'rendered', f.path), f.content);
    }
    const module = mkdtempSync(join(dir, 'module-'));
    const sources = readdirSync(join(repoRoot, 'docs/terraform-module')).filter((f) => f.endsWith('.tf'));
    expect(sources.sort()).toEqual(['main.tf', 'outputs.tf', 'variables.tf']);
    for (const file of sources) copyFileSync(join(repoRoot, 'docs/terraform-module', file), join(module, file));
    await terraform(module, 'fmt', '-check', '-diff', '.');
    const init = await terraform(module, 'init', '-backend=false', '-input=false', '-no-color');
    expect(init.stdout).not.toMatch(/Installing|registry\.terraform\.io/);
    expect((await terraform(module, 'validate', '-no-color')).stdout).toContain('Success! The configuration is valid.');

    for (const site of compiled.model.sites) {
      const tfvars = join(repository, 'rendered', 'terraform', `${site.name}.auto.tfvars`);
      await terraform(module, 'plan', '-no-color', `-var-file=${tfvars}`, '-var', `repository_root=${repository}`, '-out=plan.bin');
      const plan = JSON.parse((await terraform(module, 'show', '-json', 'plan.bin')).stdout) as {
        planned_values: { outputs: Record<string, { value: unknown }> };
        resource_changes: { address: string; change: { actions: string[]; after: { input: { user_data: string } } } }[];
      };
      const hosts = compiled.model.hosts.filter((h) => h.site.name === site.name);
      const userData = Object.fromEntries(hosts.map((h) => [h.name, compiled.files.find((f) => f.path === `hosts/${h.name}/cloud-init.yaml`)!.content]));
      expect(plan.planned_values.outputs.user_data!.value).toEqual(userData);
      expect(plan.resource_changes.map((r) => [r.address, r.change.actions, r.change.after.input.user_data])).toEqual(hosts.map((h) => [`terraform_data.host["${h.name}"]`, ['create'], userData[h.name]]));
    }
  }, 120_000);

  // A mesh of one host has no peers: `peers = {}` lines up with the attributes before it only when they
  // are single lines too, as terraform fmt does it.
  test.each([
    ['a lone hub with terraform attributes', smallTopology({ hub: { roles: ['hub'], endpoint: '192.0.2.10', terraform: { plan: 'x' } } })],
    ['a full mesh of one host without them', smallTopology({ solo: { endpoint: '192.0.2.10' } }, {}, { shape: 'full-mesh' })],
  ])('%s: empty peer maps are fmt clean and plan reads them', async (name, text) => {
    const compiled = compileText(text);
    const tfvars = compiled.files.find((f) => f.path === 'terraform/oslo.auto.tfvars')!.content;
    expect(tfvars).toMatch(/peers += \{\}/);
    const key = name.replace(/\W/g, '_');
    await formatCheck(key, tfvars);
    const outputs = await planOutputs(key, 'oslo', tfvars);
    expect(outputs.hosts!.value).toEqual(expectedHosts(compiled.model, 'oslo'));
    expect((outputs.mesh!.value as { peers: object }).peers).toEqual({});
  }, 60_000);

  test('awkward values survive: ${...}, %{...}, quotes, backslashes, & and <', () => {
    const fixture = readFileSync(join(repoRoot, 'test/fixtures/full-mesh.yaml'), 'utf8');
    expect(fixture).toContain('${var.x}');
    const web = samples[1]![1].model.hosts.find((h) => h.name === 'web-01')!;
    // The plan test above compared this value with what terraform read; make sure it is the awkward one.
    expect(Object.fromEntries(web.terraform).note).toBe('quote " backslash \\ dollar ${var.x} percent %{x} & <tag>');
  });
});
