import type { VsphereInfrastructureSpec } from '../../../stacks/environment/schema.ts';
import type { Cluster } from '../../../stacks/topology/topology.ts';
import type { Disk, Machine } from '../inventory.ts';
import type { CheckResult, Finding } from '../findings.ts';

/**
 * vSphere's guest OS identifiers of Linux guests (VirtualMachineGuestOsIdentifier):
 * distribution names, and other*Linux* for the rest. Windows IDs start with "win".
 */
const LINUX_GUEST = /linux|debian|ubuntu|rhel|centos|sles|suse|fedora|coreos|photon|asianux|mandr|turbo|nld|redhat|pardus/i;

type GuestFamily = 'linux' | 'windows' | 'other';

function guestFamily(guestId: string): GuestFamily {
  if (LINUX_GUEST.test(guestId)) return 'linux';
  return /^win/i.test(guestId) ? 'windows' : 'other';
}

/**
 * The template must suit how the environment clones it and boots the clones:
 * a linked clone starts from the template's current snapshot, and both ways
 * of first-boot configuration (cloud-init's guestinfo, VMware's Linux
 * customization) need a Linux guest. Linked clones keep the template's system
 * disk, so a diskGiB that differs from it is ignored, which is worth a warning.
 */
export function checkTemplate(template: Machine, disks: readonly Disk[], infra: VsphereInfrastructureSpec, cluster: Cluster): CheckResult {
  const problems: Finding[] = [];
  const warnings: Finding[] = [];
  const family = guestFamily(template.guestId);
  if (infra.cloneType === 'linked' && !template.hasSnapshot) {
    problems.push({ path: ['infrastructure', 'cloneType'], message: `linked clones start from a snapshot, and template ${template.name} has none; take one (the clones share its disks), or use cloneType: full` });
  }
  if (infra.guestBootstrap === 'customization' && family !== 'linux') {
    problems.push({
      path: ['infrastructure', 'guestBootstrap'],
      message: `VMware guest customization sets name and address with its Linux options, and template ${template.name} has guest ID ${template.guestId || '(none)'}, which is not a Linux guest; set the template's guest OS, or use guestBootstrap: cloudInit`,
    });
  }
  if (infra.guestBootstrap === 'cloudInit' && family === 'windows') {
    problems.push({ path: ['infrastructure', 'template'], message: `template ${template.name} is a Windows guest (${template.guestId}); Kubernetes nodes need a Linux cloud image with cloud-init` });
  }
  if (infra.guestBootstrap === 'cloudInit' && family === 'other') {
    warnings.push({ path: ['infrastructure', 'template'], message: `template ${template.name} has guest ID ${template.guestId || '(none)'}, which does not say Linux; cloud-init's guestinfo datasource needs a Linux cloud image` });
  }
  const system = disks[0];
  if (system === undefined) {
    problems.push({ path: ['infrastructure', 'template'], message: `template ${template.name} has no virtual disk to clone` });
  } else if (infra.cloneType === 'linked') {
    warnings.push(...ignoredDiskSizes(system.capacityGiB, cluster));
  }
  return { problems, warnings };
}

function ignoredDiskSizes(templateGiB: number, cluster: Cluster): Finding[] {
  const spec = cluster.spec;
  const sized = [
    { path: ['controlPlane', 'diskGiB'], diskGiB: spec.controlPlane.diskGiB },
    ...spec.workerPools.filter((p) => p.count > 0).map((p) => ({ path: ['workerPools', spec.workerPools.indexOf(p), 'diskGiB'], diskGiB: p.diskGiB })),
  ];
  return sized
    .filter((s) => s.diskGiB !== templateGiB)
    .map((s) => ({
      path: s.path,
      message: `${s.diskGiB} GiB is ignored: linked clones keep the template's ${formatGiB(templateGiB)} GiB system disk (vSphere cannot grow a linked clone's disk); use cloneType: full, a template of that size, or dataDiskGiB for room`,
    }));
}

const formatGiB = (gib: number): string => (Number.isInteger(gib) ? String(gib) : gib.toFixed(1));
