import { readFileSync } from 'node:fs';
import type { RunningVcsim } from '../../scripts/lab/vcsim/vcsim.ts';
import { readInventory } from '../../scripts/vsphere/inventory.ts';
import { VimClient } from '../../scripts/vsphere/vim-client.ts';
import { PASSWORD, USER } from './fixtures.ts';

/** Every object of datacenter dc-dev as "<type> <path>", sorted: what a test compares to see that nothing was created. */
export async function inventorySnapshot(vcsim: RunningVcsim): Promise<string[]> {
  const client = new VimClient({ server: vcsim.server, allowUnverifiedSsl: false, ca: [readFileSync(vcsim.caFile, 'utf8')] });
  try {
    await client.retrieveServiceContent();
    await client.login(USER, PASSWORD);
    const inventory = await readInventory(client, 'dc-dev');
    await client.logout();
    return inventory!.ofType('Folder', 'VirtualMachine', 'ResourcePool', 'ClusterComputeResource', 'HostSystem', 'Datastore', 'StoragePod', 'Network', 'DistributedVirtualPortgroup')
      .map((e) => `${e.ref.type} ${inventory!.pathOf(e)}`)
      .sort();
  } finally {
    client.close();
  }
}
