import { z } from 'zod';
import { isValidIpv4, isValidIpv4Cidr } from './net.ts';
import { isDns1123Label, isDns1123Subdomain, labelValueProblem, qualifiedNameProblem } from './kubernetes-names.ts';

// The environment file's shape. Field-level rules live here; rules that relate
// two fields (CIDRs that must not overlap, addresses inside ranges) live in
// checks.ts so that every error can be reported at once with its own path.

const dnsLabel = z.string().refine(isDns1123Label, {
  message: 'must be a DNS label: lower-case letters, digits and "-", 1–63 characters, starting and ending with a letter or digit',
});

const ipv4 = z.string().refine(isValidIpv4, { message: 'must be an IPv4 address such as 10.0.0.5' });
const ipv4Cidr = z.string().refine(isValidIpv4Cidr, {
  message: 'must be an IPv4 network in CIDR notation with no host bits set, such as 10.0.0.0/24',
});
const hostName = z.string().min(1).regex(/^[A-Za-z0-9.-]+$/, { message: 'must be a host name or an IPv4 address' });
const PORT = 'must be a port from 1 to 65535';
const port = z.number().int().min(1, { message: PORT }).max(65535, { message: PORT });

/** A value YAML read as a number where text with a unit or three parts was meant. */
const notText = (want: string) => (issue: { input?: unknown }) =>
  issue.input !== undefined && typeof issue.input !== 'string' ? want : undefined;

/**
 * A version of three numbers, the form the apt packages and images are named by. The "v" of a
 * tag and a missing patch are the usual slips; `3.30` unquoted is the number 3.3 to YAML.
 */
function version(product: string, example: string) {
  const form = `must be a ${product} version of three numbers such as ${example}`;
  return z.string({ error: notText(`${form}, written as text`) }).superRefine((text, ctx) => {
    if (/^[0-9]+\.[0-9]+\.[0-9]+$/.test(text)) return;
    const hint = /^v[0-9]/.test(text)
      ? `: write ${text.slice(1)}, without the "v"`
      : /^[0-9]+\.[0-9]+$/.test(text)
        ? `: give the patch release too, e.g. ${text}.0`
        : '';
    ctx.addIssue({ code: 'custom', message: `${form}${hint}` });
  });
}

/** 4-byte AS numbers (RFC 6793) are allowed; 0 and 65535/4294967295 are reserved. */
const asNumber = z
  .number()
  .int()
  .min(1, { message: 'must be an AS number from 1 to 4294967294' })
  .max(4294967294, { message: 'must be an AS number from 1 to 4294967294' })
  .refine((n) => n !== 65535 && n !== 23456, { message: 'AS 65535 and AS 23456 (AS_TRANS) are reserved' });

/** Calico's durations are Go's (metav1.Duration): a bare number has no unit and is refused. */
const duration = z
  .string({ error: (issue) => (typeof issue.input === 'number' ? `needs a unit: write ${issue.input}s for seconds (or m, h, ms)` : undefined) })
  .regex(/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/, { message: 'must be a duration with a unit such as 120s or 5m' });

/** An http(s) URL: apt and containerd fetch from these. */
const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.code === 'invalid_format' ? 'must be an http:// or https:// URL such as https://mirror.example.com/path' : undefined),
});

/** A secret is named, never written: the value comes from this environment variable at apply time. */
export const secretRef = z.strictObject({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'must be an environment variable name such as PROD_TOR_BGP_PASSWORD' }),
});

const vsphereInfrastructure = z
  .strictObject({
    type: z.literal('vsphere'),
    server: hostName.optional().describe('vCenter host name; VSPHERE_SERVER is used when left out'),
    allowUnverifiedSsl: z.boolean().default(false),
    datacenter: z.string().min(1),
    computeCluster: z.string().min(1).optional(),
    resourcePool: z.string().min(1).optional().describe('a resource pool path; otherwise the compute cluster’s root pool'),
    datastore: z.string().min(1).optional(),
    datastoreCluster: z.string().min(1).optional(),
    folder: z.string().min(1).describe('VM folder under which herd creates one folder per environment'),
    network: z.string().min(1).describe('port group the nodes attach to'),
    template: z.string().min(1).describe('VM template to clone (a cloud image with cloud-init, or one prepared for guest customization)'),
    cloneType: z
      .enum(['full', 'linked'])
      .default('full')
      .describe('linked clones need a template with a snapshot and keep its system disk size (diskGiB applies to full clones)'),
    guestBootstrap: z
      .enum(['cloudInit', 'customization'])
      .default('cloudInit')
      .describe('cloudInit: guestinfo metadata/userdata for cloud images; customization: VMware guest customization, for templates that already accept ssh.user'),
    tagCategory: z
      .string()
      .min(1)
      .default('herd')
      .describe('herd tags each VM in the category <tagCategory>-<env> (environment, role, pool), one category per environment so stacks never share one'),
  })
  .refine((v) => v.computeCluster !== undefined || v.resourcePool !== undefined, {
    message: 'give computeCluster, resourcePool, or both (a resource pool inside that cluster)',
    path: ['computeCluster'],
  })
  .refine((v) => (v.datastore === undefined) !== (v.datastoreCluster === undefined), {
    message: 'give exactly one of datastore or datastoreCluster',
    path: ['datastoreCluster'],
  });

const staticHost = z.strictObject({
  name: dnsLabel.describe('the node name this host serves as, e.g. prod-cp-1'),
  address: ipv4,
});

const staticInfrastructure = z.strictObject({
  type: z.literal('static'),
  hosts: z.array(staticHost).min(1).describe('hosts that already exist; each node needs a host of its name, extra hosts are spares'),
});

const network = z.strictObject({
  cidr: ipv4Cidr.describe('the node network'),
  gateway: ipv4,
  dnsServers: z.array(ipv4).min(1).default(['1.1.1.1']),
  searchDomains: z.array(hostName).default([]),
  allocation: z
    .strictObject({
      start: ipv4,
      end: ipv4,
      poolSize: z
        .number()
        .int()
        .min(1)
        .default(100)
        .describe('addresses reserved per worker pool, so that scaling one pool never moves another pool’s addresses'),
    })
    .optional()
    .describe('the range herd allocates node addresses from (vSphere); static hosts bring their own'),
  addresses: z.record(z.string(), ipv4).default({}).describe('node name → address, for nodes whose address is pinned'),
});

const disks = {
  diskGiB: z.number().int().min(10).default(40),
  dataDiskGiB: z.number().int().min(10).optional().describe('an extra disk for /var/lib/containerd'),
};

const workerMachine = {
  cpu: z.number().int().min(1).max(768).default(2),
  memoryMiB: z.number().int().min(1024).default(4096),
  ...disks,
};

// kubeadm's preflight on every control plane (init and control-plane join) refuses fewer than
// ControlPlaneNumCPU = 2 CPUs and less than ControlPlaneMem = 1700 MB of memory as the kernel
// reports it (cmd/kubeadm/app/constants, InitNodeChecks). A VM's kernel reports less than the VM's
// memory (the kernel and firmware keep some), so herd asks for 2048 MiB.
const CONTROL_PLANE_CPU = "must be at least 2: kubeadm's preflight refuses a control plane with fewer than 2 CPUs";
const CONTROL_PLANE_MEMORY =
  "must be at least 2048: kubeadm's preflight refuses a control plane with less than 1700 MB of memory as its kernel reports it, which is less than the VM's memoryMiB";
const controlPlaneMachine = {
  cpu: z.number().int().min(2, { message: CONTROL_PLANE_CPU }).max(768).default(2),
  memoryMiB: z.number().int().min(2048, { message: CONTROL_PLANE_MEMORY }).default(4096),
  ...disks,
};

const apiEndpoint = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('loadBalancer').describe('an external load balancer VIP, e.g. an F5 BIG-IP virtual server'),
    address: ipv4,
    port: port.default(6443),
  }),
  z.strictObject({
    type: z.literal('kubeVip').describe('a virtual IP that kube-vip holds on the control plane nodes'),
    address: ipv4,
    port: port.default(6443),
    // The kernel's dev_valid_name (net/core/dev.c): at most IFNAMSIZ - 1 = 15 bytes, no "/", ":" or white space.
    interface: z
      .string()
      .regex(/^(?!\.{1,2}$)[^/:\s]{1,15}$/, { message: 'must be a Linux interface name such as eth0 or ens192: at most 15 characters, no "/", ":" or spaces' })
      .default('eth0'),
  }),
  z.strictObject({
    type: z.literal('firstNode').describe('the first control plane node’s own address: development only, no failover'),
    port: port.default(6443),
  }),
]);

const controlPlane = z.strictObject({
  count: z.union([z.literal(1), z.literal(3), z.literal(5)], {
    error: 'must be 1, 3 or 5: etcd needs an odd member count to keep quorum',
  }),
  ...controlPlaneMachine,
  endpoint: apiEndpoint.default({ type: 'firstNode', port: 6443 }),
  antiAffinity: z.boolean().optional().describe('DRS anti-affinity for the control plane; on by default when count > 1'),
  rack: dnsLabel.optional(),
});

/** Label keys under herd.io/ are herd's own (pool, rack, route reflector): a pool label there would be overwritten. */
const HERD_LABEL_PREFIX = 'herd.io/';

// Node labels and taints as the API server validates them (ValidateNodeSpec, ValidateLabels).
const labels = z
  .record(z.string(), z.string())
  .superRefine((map, ctx) => {
    for (const [key, value] of Object.entries(map)) {
      const keyProblem = key.startsWith(HERD_LABEL_PREFIX) ? `uses the prefix ${HERD_LABEL_PREFIX}, which herd keeps for its own labels (pool, rack, route reflector)` : qualifiedNameProblem(key);
      if (keyProblem !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `the label key "${key}" ${keyProblem}` });
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `the label value "${value}" ${valueProblem}` });
    }
  });

const taint = z.strictObject({
  key: z.string().superRefine((key, ctx) => {
    const problem = qualifiedNameProblem(key);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `the taint key "${key}" ${problem}` });
  }),
  value: z
    .string()
    .superRefine((value, ctx) => {
      const problem = labelValueProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `the taint value "${value}" ${problem}` });
    })
    .optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

/** The API server refuses a node whose taints repeat a key with the same effect. */
const taints = z.array(taint).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((t, i) => {
    const id = `${t.key}:${t.effect}`;
    const first = seen.get(id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: `taints[${first}] already has the key "${t.key}" with the effect ${t.effect}; Kubernetes refuses a node with both` });
    else seen.set(id, i);
  });
});

const workerPool = z.strictObject({
  name: dnsLabel,
  count: z.number().int().min(0).max(10000),
  ...workerMachine,
  labels: labels.default({}),
  taints: taints.default([]),
  rack: dnsLabel.optional(),
  antiAffinity: z.boolean().default(false),
});

const kubernetes = z.strictObject({
  version: version('Kubernetes', '1.34.2'),
  podCidr: ipv4Cidr.default('10.244.0.0/16'),
  serviceCidr: ipv4Cidr.default('10.96.0.0/12'),
  // kubeadm validates networking.dnsDomain as a DNS-1123 subdomain (ValidateNetworking).
  dnsDomain: z
    .string()
    .refine(isDns1123Subdomain, { message: 'must be a DNS domain such as cluster.local: lower-case letters, digits, "-" and "."' })
    .default('cluster.local'),
  proxyMode: z.enum(['iptables', 'ipvs']).default('iptables'),
  packageRepository: httpUrl
    .default('https://pkgs.k8s.io/core:/stable:')
    .describe('base of the Kubernetes apt repositories; /v<minor>/deb/ is appended, so a mirror of pkgs.k8s.io works'),
  imageRepository: z.string().min(1).default('registry.k8s.io'),
});

const containerd = z.strictObject({
  version: version('containerd', '1.7.28'),
  packageName: z.string().min(1).default('containerd.io'),
  packageRepository: httpUrl
    .default('https://download.docker.com/linux')
    .describe("base of Docker's apt repositories that ship containerd.io; /<os id> (debian or ubuntu) is appended and its key is <base>/<os id>/gpg, so a mirror of download.docker.com works"),
  registryMirrors: z
    .record(z.string(), z.array(httpUrl).min(1))
    .default({})
    .describe('registry host → mirror endpoints, e.g. docker.io: [https://mirror.example.com]'),
});

const ipPool = z.strictObject({
  name: dnsLabel.default('default-ipv4-ippool'),
  cidr: ipv4Cidr,
  // Calico's IPv4 block sizes (IPPool validation): 20 to 32.
  blockSize: z
    .number()
    .int()
    .min(20, { message: "must be from 20 to 32: Calico's IPv4 block sizes" })
    .max(32, { message: "must be from 20 to 32: Calico's IPv4 block sizes" })
    .default(26),
  encapsulation: z.enum(['None', 'IPIP', 'IPIPCrossSubnet', 'VXLAN', 'VXLANCrossSubnet']).default('None'),
  natOutgoing: z.boolean().default(true),
});

const filterRule = z.strictObject({
  action: z.enum(['Accept', 'Reject']),
  matchOperator: z.enum(['Equal', 'NotEqual', 'In', 'NotIn']).optional(),
  cidr: ipv4Cidr.optional(),
});

const bgpFilter = z.strictObject({
  name: dnsLabel,
  exportV4: z.array(filterRule).default([]),
  importV4: z.array(filterRule).default([]),
});

const peerNodes = z.union([z.literal('all'), z.strictObject({ racks: z.array(dnsLabel).min(1) }), z.literal('routeReflectors')], {
  error: 'must be all, routeReflectors, or { racks: [r1, …] }',
});

const bgpPeer = z.strictObject({
  name: dnsLabel,
  address: ipv4,
  asNumber,
  nodes: peerNodes.default('all').describe('which nodes peer: all, routeReflectors, or { racks: [...] }'),
  passwordFrom: secretRef.optional(),
  nextHopMode: z.enum(['Auto', 'Self', 'Keep']).default('Auto'),
  sourceAddress: z.enum(['UseNodeIP', 'None']).default('UseNodeIP'),
  maxRestartTime: duration.optional(),
  keepaliveTime: duration.optional(),
  filters: z.array(dnsLabel).default([]),
  kind: z.enum(['router', 'loadBalancer']).default('router').describe('what sits on the other side; shapes the rendered peer config'),
  neighbors: z
    .enum(['dynamic', 'static'])
    .optional()
    .describe(
      'how the config herd peers renders for this peer names the nodes. dynamic (the default for a router): one listen range per AS over every address herd can give the nodes that peer here, so a capacity change needs no change on the router. static (the default for a loadBalancer: F5 documents no listen ranges for the BIG-IP imish): one neighbor per node, so adding or removing a node that peers here changes the config',
    ),
});

const routeReflectors = z.strictObject({
  nodes: z.array(dnsLabel).min(1).describe('node names that act as route reflectors'),
  clusterId: ipv4.describe('route reflector cluster ID, an IPv4 dotted quad'),
});

const bgp = z.strictObject({
  asNumber: asNumber.default(64512),
  nodeToNodeMesh: z.boolean().default(true),
  routeReflectors: routeReflectors.optional(),
  rackAsNumbers: z.record(z.string(), asNumber).default({}).describe('rack → AS number of the nodes in it'),
  peers: z.array(bgpPeer).default([]),
  filters: z.array(bgpFilter).default([]),
  advertise: z
    .strictObject({
      serviceClusterIps: z.boolean().default(false),
      serviceExternalIps: z.array(ipv4Cidr).default([]),
      serviceLoadBalancerIps: z.array(ipv4Cidr).default([]),
    })
    .default({ serviceClusterIps: false, serviceExternalIps: [], serviceLoadBalancerIps: [] }),
});

const calico = z.strictObject({
  version: version('Calico', '3.32.1'),
  operatorManifestUrl: httpUrl.optional().describe('overrides the tigera-operator.yaml URL derived from the version'),
  registry: z.string().min(1).optional().describe('image registry mirror for Calico images'),
  ipPools: z.array(ipPool).optional().describe('defaults to one pool over kubernetes.podCidr'),
  bgp: bgp.default({
    asNumber: 64512,
    nodeToNodeMesh: true,
    rackAsNumbers: {},
    peers: [],
    filters: [],
    advertise: { serviceClusterIps: false, serviceExternalIps: [], serviceLoadBalancerIps: [] },
  }),
});

const bastion = z.strictObject({
  host: hostName,
  user: z.string().min(1),
  port: port.default(22),
  privateKeyFile: z.string().min(1).optional(),
});

/** One authorized_keys line: a public key is not a secret, and a private key cannot pass this. */
const publicKey = z
  .string()
  .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/, {
    message: 'must be one OpenSSH public key line such as "ssh-ed25519 AAAAC3Nza… ops@example.com" (the contents of a .pub file)',
  });

const ssh = z
  .strictObject({
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, { message: 'must be a Unix user name' }),
    authorizedKeys: z
      .array(publicKey)
      .default([])
      .describe('public keys cloud-init installs for ssh.user on new vSphere VMs (guestBootstrap: cloudInit)'),
    port: port.default(22),
    privateKeyFile: z.string().min(1).optional().describe('path relative to this file; leave out to use ssh-agent (SSH_AUTH_SOCK)'),
    agent: z.boolean().default(false),
    bastion: bastion.optional(),
    knownHostsFile: z.string().min(1).optional().describe('defaults to .herd/<env>/known_hosts'),
    connectTimeoutSeconds: z.number().int().min(1).default(15),
    commandTimeoutSeconds: z.number().int().min(1).default(600),
  })
  .refine((s) => s.privateKeyFile !== undefined || s.agent, {
    message: 'give privateKeyFile, or agent: true to use ssh-agent',
    path: ['privateKeyFile'],
  });

/** A PostgreSQL identifier that needs no quoting, so that herd and Terraform name the same schema. */
const pgIdentifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, {
  message: 'must be a PostgreSQL schema name: lower-case letters, digits and "_", starting with a letter or "_", at most 63 characters',
});

// Where Terraform keeps this environment's state, and through it where herd
// takes its own apply lock. Connection secrets are never fields here: each
// backend's own environment variables carry them (docs/state.md).
const localState = z.strictObject({
  type: z.literal('local').describe('a file under .herd/<env>/ on this machine: for the lab and for trying herd, not for a team'),
});

const pgState = z.strictObject({
  type: z.literal('pg').describe("PostgreSQL through Terraform's pg backend and its advisory locks; the connection string is read from PG_CONN_STR"),
  schemaName: pgIdentifier
    .optional()
    .describe('PostgreSQL schema of this environment’s state; default herd_<env> with "-" as "_", so that environments never share a row'),
});

const s3State = z
  .strictObject({
    type: z.literal('s3').describe('an S3 bucket; credentials from the standard AWS_* variables or profile'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be an S3 bucket name: 3–63 lower-case letters, digits, "." and "-"' }),
    key: z
      .string()
      .regex(/^[^/](.*[^/])?$/, { message: 'must be an object key that neither starts nor ends with "/"' })
      .refine((k) => !k.includes('//'), { message: 'must not contain "//"' })
      .optional()
      .describe('object key of the state; default herd/<env>/terraform.tfstate'),
    region: z.string().regex(/^[a-z0-9-]+$/, { message: 'must be a region name such as eu-central-1' }),
    endpoint: httpUrl.optional().describe('an S3-compatible service such as MinIO or Ceph; implies path-style addressing'),
    useLockfile: z.boolean().default(false).describe("lock with S3's own lock file next to the state (Terraform 1.10 and later)"),
    dynamodbTable: z.string().min(3).optional().describe('lock in this DynamoDB table instead (deprecated by Terraform in favour of useLockfile)'),
  })
  .refine((s) => s.useLockfile !== (s.dynamodbTable !== undefined), {
    message: 'give useLockfile: true or dynamodbTable (exactly one): without a lock two deploys can overwrite each other’s state',
    path: ['useLockfile'],
  });

const httpState = z.strictObject({
  type: z.literal('http').describe('a REST state service; basic-auth credentials from TF_HTTP_USERNAME and TF_HTTP_PASSWORD'),
  address: httpUrl,
  lockAddress: httpUrl.describe('required: without it Terraform does not lock this state'),
  unlockAddress: httpUrl.optional().describe('default lockAddress'),
});

const provisioner = z.strictObject({
  concurrency: z.number().int().min(1).max(1000).default(100),
});

const WORKER_BATCH_SIZE = 'must be a count of nodes such as 2, or a percentage of each pool from 1% to 100% such as "25%"';
const workerBatchSize = z.union([z.number().int().min(1, { message: WORKER_BATCH_SIZE }), z.string().regex(/^([1-9][0-9]?|100)%$/, { message: WORKER_BATCH_SIZE })], {
  error: WORKER_BATCH_SIZE,
});

const upgrade = z.strictObject({
  workerBatchSize: workerBatchSize
    .default(1)
    .describe('workers upgraded at once within each pool: a count, or a percentage of the pool (rounded down, at least 1)'),
  drainTimeoutSeconds: z.number().int().min(1).default(300).describe('how long draining one node may take (evictions respect PodDisruptionBudgets)'),
});

export const environmentSchema = z
  .strictObject({
    $schema: z.string().optional(),
    extends: z.string().optional().describe('a file whose settings this one starts from (relative path)'),
    description: z.string().optional(),
    infrastructure: z.discriminatedUnion('type', [vsphereInfrastructure, staticInfrastructure]),
    network,
    controlPlane,
    workerPools: z.array(workerPool).default([]),
    kubernetes,
    containerd,
    calico,
    ssh,
    provisioner: provisioner.default({ concurrency: 100 }),
    upgrade: upgrade
      .default({ workerBatchSize: 1, drainTimeoutSeconds: 300 })
      .describe('how a changed kubernetes.version or containerd.version rolls through joined nodes: control planes one at a time, then workers in batches'),
    state: z
      .discriminatedUnion('type', [localState, pgState, s3State, httpState])
      .default({ type: 'local' })
      .describe('where Terraform keeps this environment’s state and herd apply takes its lock; default local'),
  })
  .describe('A herd environment: one Kubernetes cluster and the machines it runs on');

export type EnvironmentSpec = z.infer<typeof environmentSchema>;
export type WorkerPoolSpec = EnvironmentSpec['workerPools'][number];
export type BgpPeerSpec = EnvironmentSpec['calico']['bgp']['peers'][number];
export type SecretRef = z.infer<typeof secretRef>;
export type StateSpec = EnvironmentSpec['state'];
export type VsphereInfrastructureSpec = Extract<EnvironmentSpec['infrastructure'], { type: 'vsphere' }>;
