// Stage 5: the model -> every file of rendered/ except the manifest, in a stable order.
import type { TopologyModel } from '../model/topologyModel.js';
import { renderCloudInit } from './cloudInit/renderCloudInit.js';
import { renderFirewall } from './firewall/renderFirewall.js';
import { renderHaproxyConfig } from './haproxy/renderHaproxyConfig.js';
import type { RenderContext, RenderedFile } from './renderedFile.js';
import { renderSysctlConfig } from './sysctl/renderSysctlConfig.js';
import { renderTerraformVars } from './terraform/renderTerraformVars.js';
import { renderWireguardConfig } from './wireguard/renderWireguardConfig.js';

export function renderTree(model: TopologyModel, context: RenderContext): RenderedFile[] {
  const files: RenderedFile[] = [];
  for (const host of model.hosts) {
    const hostFiles = [renderWireguardConfig(model, host, context), renderSysctlConfig(model, host, context), ...renderFirewall(model, host, context)];
    const haproxy = renderHaproxyConfig(model, host, context);
    if (haproxy) hostFiles.push(haproxy);
    // First boot installs what apply would: every file rendered for the host.
    files.push(...hostFiles, renderCloudInit(model, host, hostFiles, context));
  }
  for (const site of model.sites) files.push(renderTerraformVars(model, site, context));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
