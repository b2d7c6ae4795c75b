// terraform/<site>.auto.tfvars: what a site's Terraform needs to create its hosts and join them to the mesh.
import type { SiteModel, TopologyModel } from '../../model/topologyModel.js';
import { loadTemplate } from '../template.js';
import { generatedHeader, type RenderContext, type RenderedFile } from '../renderedFile.js';
import { alignAttributes, hclObjectKey, hclString, hclValue } from './hcl.js';

interface TerraformTemplate {
  header: string;
  site: SiteModel & { nameValue: string; providerValue: string; regionValue: string; countryValue: string };
  mesh: { interface: string; cidr: string; listenPort: number; mtu: number };
  hubs: { key: string; endpoint: string; port: number; publicKey: string; meshAddress: string }[];
  hosts: { key: string; meshAddress: string; publicKey: string; roles: string; terraform: { name: string; value: string }[] }[];
}

const template = loadTemplate<TerraformTemplate>(new URL('./site.auto.tfvars.hbs', import.meta.url));

export function renderTerraformVars(model: TopologyModel, site: SiteModel, context: RenderContext): RenderedFile {
  const { mesh } = model;
  const content = template({
    header: generatedHeader(context.source, model.name),
    site: { ...site, nameValue: hclString(site.name), providerValue: hclString(site.provider), regionValue: hclString(site.region), countryValue: hclString(site.country) },
    mesh: { interface: hclString(mesh.interface), cidr: hclString(mesh.cidr), listenPort: mesh.listenPort, mtu: mesh.mtu },
    hubs: model.hosts
      .filter((h) => h.isHub)
      .map((hub) => ({
        key: hclObjectKey(hub.name),
        endpoint: hclString(hub.endpoint ?? ''),
        port: mesh.listenPort,
        publicKey: hclString(hub.publicKey),
        meshAddress: hclString(hub.meshAddress),
      })),
    hosts: model.hosts
      .filter((h) => h.site.name === site.name)
      .map((host) => ({
        key: hclObjectKey(host.name),
        meshAddress: hclString(host.meshAddress),
        publicKey: hclString(host.publicKey),
        roles: hclValue(host.roles),
        terraform: alignAttributes(host.terraform.map(([name, value]) => [hclObjectKey(name), hclValue(value)])),
      })),
  });
  return { path: `terraform/${site.name}.auto.tfvars`, content, mode: 0o644, reload: 'none' };
}
