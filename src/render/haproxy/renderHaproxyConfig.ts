// /etc/haproxy/haproxy.cfg, only on hosts that run a load balancer.
import type { HostModel, LoadBalancerModel, TopologyModel } from '../../model/topologyModel.js';
import { loadTemplate } from '../template.js';
import { generatedHeader, hostFile, type RenderContext, type RenderedFile } from '../renderedFile.js';

interface HaproxyTemplate {
  header: string;
  host: string;
  name: string;
  frontends: (LoadBalancerModel['frontends'][number] & { logOption: string })[];
  backends: LoadBalancerModel['backends'];
}

const template = loadTemplate<HaproxyTemplate>(new URL('./haproxy.cfg.hbs', import.meta.url));

export function renderHaproxyConfig(model: TopologyModel, host: HostModel, context: RenderContext): RenderedFile | undefined {
  const lb = host.loadBalancer;
  if (!lb) return undefined;
  const content = template({
    header: generatedHeader(context.source, model.name),
    host: host.name,
    name: lb.name,
    frontends: lb.frontends.map((f) => ({ ...f, logOption: f.mode === 'http' ? 'httplog' : 'tcplog' })),
    backends: lb.backends,
  });
  return hostFile(host.name, '/etc/haproxy/haproxy.cfg', content, 0o644, 'haproxy');
}
