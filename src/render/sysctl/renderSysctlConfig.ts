// /etc/sysctl.d/90-fortress.conf, one per host; applied with `sysctl -p <file>`.
import type { HostModel, TopologyModel } from '../../model/topologyModel.js';
import { loadTemplate } from '../template.js';
import { generatedHeader, hostFile, type RenderContext, type RenderedFile } from '../renderedFile.js';

interface SysctlTemplate {
  header: string;
  host: string;
  layers: string;
  settings: { key: string; value: string }[];
}

const template = loadTemplate<SysctlTemplate>(new URL('./90-fortress.conf.hbs', import.meta.url));

export function renderSysctlConfig(model: TopologyModel, host: HostModel, context: RenderContext): RenderedFile {
  const roles = host.roles.length > 0 ? host.roles.join(', ') : 'none';
  const content = template({
    header: generatedHeader(context.source, model.name),
    host: host.name,
    layers: host.isHub ? `fortress's hub settings, the topology's defaults, its roles (${roles}), then its own; a hub always forwards` : `the topology's defaults, its roles (${roles}), then its own`,
    settings: host.sysctl.map(([key, value]) => ({ key, value })),
  });
  return hostFile(host.name, '/etc/sysctl.d/90-fortress.conf', content, 0o644, 'sysctl');
}
