import type { CalicoDatastore, Service } from '../resources.ts';
import { cidrContains, familyOf, parseAddress, parseCidr, type IpFamily } from './addresses.ts';
import type { BgpSettings } from './bgp-configuration.ts';
import type { NodeBgp } from './nodes.ts';

// Service advertisement (confd's client.go updateGlobalRoutes and routes.go): the
// BGPConfiguration's service CIDRs are advertised from every node that is not excluded from
// load balancers, and always kept out of the kernel (reject); a Service with
// externalTrafficPolicy Local is advertised as /32 (/128) routes only from the nodes that have
// one of its endpoints. The route generator only runs when some service CIDR is configured.

export const EXCLUDE_FROM_LOAD_BALANCERS = 'node.kubernetes.io/exclude-from-external-load-balancers';

export interface ServiceRoutes {
  /** Routes BIRD originates (static blackhole) and exports: CIDRs. */
  readonly advertised: readonly string[];
  /** Service ranges never programmed into the kernel. */
  readonly rejected: readonly string[];
}

function single(cidr: string): boolean {
  const parsed = parseCidr(cidr);
  return parsed !== undefined && parsed.bits === (parsed.family === 4 ? 32 : 128);
}

function allowed(ip: string | undefined, ranges: readonly string[]): boolean {
  if (!ip || !parseAddress(ip)) return false;
  return ranges.some((r) => parseCidr(r) !== undefined && cidrContains(r, ip));
}

function singleAllowed(ip: string | undefined, ranges: readonly string[]): boolean {
  if (!ip || !parseAddress(ip)) return false;
  return ranges.some((r) => single(r) && cidrContains(r, ip));
}

function hasLocalEndpoint(datastore: CalicoDatastore, service: Service, node: string): boolean {
  const namespace = service.metadata.namespace ?? 'default';
  const sameService = (meta: { namespace?: string | undefined }): boolean => (meta.namespace ?? 'default') === namespace;
  const serviceIsV6 = familyOf(service.spec.clusterIP ?? '') === 6;
  const local = (ip: string, nodeName: string | undefined): boolean => nodeName === node && (familyOf(ip) === 6) === serviceIsV6;
  const fromSlices = datastore.endpointSlices
    .filter((s) => sameService(s.metadata) && s.metadata.labels?.['kubernetes.io/service-name'] === service.metadata.name)
    .some((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready !== false && e.addresses.some((ip) => local(ip, e.nodeName))));
  const fromEndpoints = datastore.endpoints
    .filter((e) => sameService(e.metadata) && e.metadata.name === service.metadata.name)
    .some((e) => (e.subsets ?? []).some((s) => (s.addresses ?? []).some((a) => local(a.ip, a.nodeName))));
  return fromSlices || fromEndpoints;
}

function advertiseService(datastore: CalicoDatastore, service: Service, settings: BgpSettings, node: string): boolean {
  const spec = service.spec;
  const type = spec.type ?? 'ClusterIP';
  if (type !== 'ClusterIP' && type !== 'NodePort' && type !== 'LoadBalancer') return false;
  if (!spec.clusterIP || spec.clusterIP === 'None') return false;
  const policy = spec.externalTrafficPolicy ?? 'Cluster';
  if (policy === 'Cluster') {
    const lbIps = [spec.loadBalancerIP, ...(service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip)];
    if (type === 'LoadBalancer' && lbIps.some((ip) => singleAllowed(ip, settings.serviceLoadBalancerIPs))) return true;
    if ((spec.externalIPs ?? []).some((ip) => singleAllowed(ip, settings.serviceExternalIPs))) return true;
  }
  if (policy !== 'Local') return false;
  return hasLocalEndpoint(datastore, service, node);
}

function serviceRoutesOf(service: Service, settings: BgpSettings): string[] {
  const ips: string[] = [];
  if (settings.serviceClusterIPs.length > 0 && service.spec.clusterIP) ips.push(service.spec.clusterIP);
  ips.push(...(service.spec.externalIPs ?? []).filter((ip) => allowed(ip, settings.serviceExternalIPs)));
  ips.push(...(service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => allowed(ip, settings.serviceLoadBalancerIPs)));
  return ips.map((ip) => `${ip}/${familyOf(ip) === 6 ? 128 : 32}`);
}

/** The service routes of one node, for one IP family, in confd's key order. */
export function serviceRoutes(datastore: CalicoDatastore, settings: BgpSettings, node: NodeBgp, family: IpFamily): ServiceRoutes {
  const excluded = node.labels[EXCLUDE_FROM_LOAD_BALANCERS] === 'true';
  // Single addresses in serviceLoadBalancerIPs are advertised per Service, not from every node.
  const ranges = [
    ...settings.serviceClusterIPs,
    ...settings.serviceExternalIPs,
    ...settings.serviceLoadBalancerIPs.filter((cidr) => !single(cidr)),
  ].filter((cidr) => familyOf(cidr) === family);
  const advertised = new Set<string>(excluded ? [] : ranges);
  const generatorRuns = settings.serviceClusterIPs.length + settings.serviceExternalIPs.length + settings.serviceLoadBalancerIPs.length > 0;
  if (generatorRuns && !excluded) {
    for (const service of datastore.services) {
      if (!advertiseService(datastore, service, settings, node.name)) continue;
      for (const route of serviceRoutesOf(service, settings)) if (familyOf(route) === family) advertised.add(route);
    }
  }
  return { advertised: byKey([...advertised]), rejected: byKey([...new Set(ranges)]) };
}

/** confd lists routes by their datastore key, the CIDR with "/" written "-". */
export function byKey(cidrs: readonly string[]): string[] {
  const key = (cidr: string): string => cidr.replace('/', '-');
  return [...cidrs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
