import { performance } from 'node:perf_hooks';
import type { Environment } from '../../stacks/environment/load.ts';
import { locateInEnvironment } from '../../stacks/environment/load.ts';
import type { ConfigIssue } from '../../stacks/environment/errors.ts';
import type { VsphereInfrastructureSpec } from '../../stacks/environment/schema.ts';
import { computeCluster, type Cluster } from '../../stacks/topology/topology.ts';
import { planCapacity, type Capacity } from './capacity.ts';
import { checkAntiAffinity, antiAffinityGroups } from './checks/anti-affinity.ts';
import { checkCapacity } from './checks/capacity.ts';
import { resolvePlacement, type Placement } from './checks/placement.ts';
import { checkTemplate } from './checks/template.ts';
import { vsphereCredentials } from './credentials.ts';
import type { CheckResult, Finding } from './findings.ts';
import { readDisks, readInventory, type Disk, type Inventory } from './inventory.ts';
import { trustedCertificates } from './trust.ts';
import { UnverifiedCertificateError, VimClient, VimFault } from './vim-client.ts';

/** What one step cost: the round trips to vCenter it made and its time. */
export interface PreflightStep {
  readonly name: string;
  readonly roundTrips: number;
  readonly milliseconds: number;
}

export interface PreflightReport {
  readonly environment: string;
  readonly server: string;
  /** Every problem found, each at its file, line and YAML path: any one stops the deploy. */
  readonly problems: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
  /** Set once the compute cluster and storage were found. */
  readonly capacity?: { readonly plan: Capacity; readonly computeResource: string; readonly storage: string };
  readonly steps: readonly PreflightStep[];
}

/**
 * Read-only checks of a vSphere environment against vCenter, before Terraform
 * creates anything: every name it uses, the template, capacity with N+1 and
 * the anti-affinity rules. Problems are returned, not thrown, all at once;
 * what is thrown is a failure to ask at all (vCenter unreachable).
 */
export async function preflight(env: Environment, processEnv: NodeJS.ProcessEnv = process.env): Promise<PreflightReport> {
  const infra = env.spec.infrastructure;
  if (infra.type !== 'vsphere') throw new Error(`${env.name} has no vSphere infrastructure to check`);
  const cluster = computeCluster(env);
  const run = new PreflightRun(env, infra, cluster);
  const credentials = vsphereCredentials(infra, processEnv);
  if ('missing' in credentials) {
    return run.finish(infra.server ?? '', [{ path: ['infrastructure', 'server'], message: `the vSphere provider's variables ${credentials.missing.join(', ')} are not set; export them in the shell that runs herd or cdktf` }]);
  }
  const client = new VimClient({ server: credentials.server, allowUnverifiedSsl: infra.allowUnverifiedSsl, ca: trustedCertificates(processEnv) });
  try {
    const refused = await run.step('connect and log in', client, () => connect(client, credentials, infra));
    if (refused !== undefined) return run.finish(credentials.server, [refused]);
    const inventory = await run.step('read the datacenter', client, () => readInventory(client, infra.datacenter));
    if (inventory === undefined) {
      return run.finish(credentials.server, [{ path: ['infrastructure', 'datacenter'], message: `no datacenter ${infra.datacenter} in vCenter ${credentials.server}` }]);
    }
    await run.checks(client, inventory);
    await run.step('log out', client, () => client.logout());
    return run.finish(credentials.server, []);
  } finally {
    client.close();
  }
}

async function connect(client: VimClient, credentials: { user: string; password: string; server: string }, infra: VsphereInfrastructureSpec): Promise<Finding | undefined> {
  try {
    await client.retrieveServiceContent();
    await client.login(credentials.user, credentials.password);
    return undefined;
  } catch (err) {
    if (err instanceof UnverifiedCertificateError) {
      return {
        path: ['infrastructure', 'allowUnverifiedSsl'],
        message:
          `${err.message}. herd verifies vCenter's certificate as the vSphere provider does: install its CA in the system's trust store or name it in SSL_CERT_FILE ` +
          `(see docs/deploying.md, "vCenter's certificate"); allowUnverifiedSsl: true turns verification off${infra.allowUnverifiedSsl ? '' : ' (it is false)'}`,
      };
    }
    if (err instanceof VimFault && err.type === 'InvalidLogin') {
      return { path: ['infrastructure', 'server'], message: `vCenter ${credentials.server} refused the login of VSPHERE_USER (${credentials.user}): wrong user name or VSPHERE_PASSWORD` };
    }
    throw err;
  }
}

class PreflightRun {
  private readonly steps: PreflightStep[] = [];
  private readonly found: CheckResult = { problems: [], warnings: [] };
  private capacity: PreflightReport['capacity'];

  constructor(
    private readonly env: Environment,
    private readonly infra: VsphereInfrastructureSpec,
    private readonly cluster: Cluster,
  ) {}

  async step<T>(name: string, client: VimClient | undefined, work: () => Promise<T> | T): Promise<T> {
    const before = client?.roundTrips.length ?? 0;
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.steps.push({ name, roundTrips: (client?.roundTrips.length ?? 0) - before, milliseconds: performance.now() - started });
    }
  }

  private add(result: CheckResult): void {
    this.found.problems.push(...result.problems);
    this.found.warnings.push(...result.warnings);
  }

  async checks(client: VimClient, inventory: Inventory): Promise<void> {
    const { placement, result } = await this.step('names', undefined, () => resolvePlacement(inventory, this.env.name, this.infra));
    this.add(result);
    const machines = inventory.machines();
    const existing = placement.environmentFolder === undefined ? [] : machines.filter((m) => m.parent === placement.environmentFolder!.key && !m.template);
    const wanted = [placement.template, ...existing.map((m) => inventory.get(m.key))].filter((e) => e !== undefined);
    const disks = await this.step('read template and environment disks', client, () => readDisks(client, wanted));

    const template = placement.template === undefined ? undefined : machines.find((m) => m.key === placement.template!.key);
    const templateDisks = template === undefined ? [] : (disks.get(template.key) ?? []);
    if (template !== undefined) this.add(await this.step('template', undefined, () => checkTemplate(template, templateDisks, this.infra, this.cluster)));

    const { computeResource } = placement;
    if (computeResource === undefined) return;
    const hosts = inventory.hostsOf(computeResource);
    this.add(await this.step('anti-affinity', undefined, () => checkAntiAffinity(antiAffinityGroups(this.cluster), hosts, computeResource.name)));
    const storage = placement.datastore ?? placement.datastoreCluster;
    if (storage === undefined || (template === undefined && this.infra.cloneType === 'linked')) return;
    await this.step('capacity', undefined, () => this.checkCapacity(inventory, placement, storage, hosts, machines, existing, disks, templateDisks));
  }

  private checkCapacity(
    inventory: Inventory,
    placement: Placement,
    storage: NonNullable<Placement['datastore']>,
    hosts: ReturnType<Inventory['hostsOf']>,
    machines: ReturnType<Inventory['machines']>,
    existing: ReturnType<Inventory['machines']>,
    disks: ReadonlyMap<string, readonly Disk[]>,
    templateDisks: readonly Disk[],
  ): void {
    const templateSystemGiB = templateDisks[0]?.capacityGiB ?? 0;
    const plan = planCapacity({
      cluster: this.cluster,
      hosts,
      machines,
      existing: existing.map((machine) => ({ machine, diskGiB: (disks.get(machine.key) ?? []).reduce((t, d) => t + d.capacityGiB, 0) })),
      systemDiskGiB: (node) => (this.infra.cloneType === 'linked' ? templateSystemGiB : node.diskGiB),
      storageFreeGiB: inventory.storage(storage).freeGiB,
    });
    const computeResource = placement.computeResource!.name;
    const storageName = `${storage.ref.type === 'StoragePod' ? 'datastore cluster' : 'datastore'} ${storage.name}`;
    this.capacity = { plan, computeResource, storage: storageName };
    this.add(checkCapacity(plan, { computeResource, storage: storageName, storageField: placement.datastore === undefined ? 'datastoreCluster' : 'datastore' }));
  }

  finish(server: string, problems: readonly Finding[]): PreflightReport {
    const locate = (f: Finding): ConfigIssue => locateInEnvironment(this.env, f.path, f.message);
    return {
      environment: this.env.name,
      server,
      problems: [...problems, ...this.found.problems].map(locate),
      warnings: this.found.warnings.map(locate),
      ...(this.capacity === undefined ? {} : { capacity: this.capacity }),
      steps: this.steps,
    };
  }
}
