import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startVcsim, type RunningVcsim } from '../../scripts/lab/vcsim/vcsim.ts';
import { UnverifiedCertificateError, VimClient, VimFault } from '../../scripts/vsphere/vim-client.ts';
import { PASSWORD, USER, devInventory } from './fixtures.ts';

// The SOAP client against vcsim: sessions, faults, TLS, and the property
// collector's continuation, which vcsim pages like vCenter (our vcsim main).

const ADDRESS = '127.44.0.3';
let vcsim: RunningVcsim;

beforeAll(async () => {
  vcsim = await startVcsim(ADDRESS, devInventory({ pageSize: 4 }));
});
afterAll(async () => {
  await vcsim?.stop();
});

async function loggedIn(): Promise<VimClient> {
  const client = new VimClient({ server: ADDRESS, allowUnverifiedSsl: false, ca: [readFileSync(vcsim.caFile, 'utf8')] });
  await client.retrieveServiceContent();
  await client.login(USER, PASSWORD);
  return client;
}

describe('VimClient', () => {
  it('reads every object of a container view through ContinueRetrievePropertiesEx, page by page', async () => {
    const client = await loggedIn();
    try {
      const dc = await client.findByInventoryPath('dc-dev');
      const view = await client.createContainerView(dc!, ['VirtualMachine'], true);
      const read = (maxObjects: number) => client.retrieveProperties({ objects: [{ view }], properties: [{ type: 'VirtualMachine', paths: ['name'] }], maxObjects });
      const before = client.roundTrips.length;
      const paged = await read(2);
      const methods = client.roundTrips.slice(before).map((r) => r.method);
      const names = paged.map((o) => o.properties.get('name')!.text).sort();
      expect(names).toEqual(['appliance', 'debian-12-genericcloud', 'debian-12-nosnap', 'other-team-app', 'stage-cp-1', 'stage-general-1']);
      expect(methods).toEqual(['RetrievePropertiesEx', 'ContinueRetrievePropertiesEx', 'ContinueRetrievePropertiesEx']);
      // The server's own page (4 here) caps a larger maxObjects, as vCenter's does.
      expect((await read(1000)).length).toBe(6);
      expect(client.roundTrips.slice(before + 3).map((r) => r.method)).toEqual(['RetrievePropertiesEx', 'ContinueRetrievePropertiesEx']);
      await client.logout();
    } finally {
      client.close();
    }
  });

  it('an inventory path that leads nowhere is undefined, not an error', async () => {
    const client = await loggedIn();
    try {
      expect(await client.findByInventoryPath('dc-nowhere')).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it('turns a SOAP fault into a VimFault of its vim25 type', async () => {
    const client = new VimClient({ server: ADDRESS, allowUnverifiedSsl: false, ca: [readFileSync(vcsim.caFile, 'utf8')] });
    try {
      await client.retrieveServiceContent();
      await expect(client.login(USER, 'not the password')).rejects.toEqual(new VimFault('Login', 'InvalidLogin', 'Login failure'));
    } finally {
      client.close();
    }
  });

  it('keeps the session it logged in: after Logout, vCenter answers NotAuthenticated', async () => {
    const client = await loggedIn();
    try {
      const dc = await client.findByInventoryPath('dc-dev');
      await client.logout();
      await expect(client.createContainerView(dc!, [], true)).rejects.toMatchObject({ type: 'NotAuthenticated' });
    } finally {
      client.close();
    }
  });

  it('refuses a certificate it cannot verify, and accepts it when told to', async () => {
    const strict = new VimClient({ server: ADDRESS, allowUnverifiedSsl: false });
    await expect(strict.retrieveServiceContent()).rejects.toBeInstanceOf(UnverifiedCertificateError);
    strict.close();
    const lax = new VimClient({ server: ADDRESS, allowUnverifiedSsl: true });
    expect((await lax.retrieveServiceContent()).apiType).toBe('VirtualCenter');
    lax.close();
  });
});
