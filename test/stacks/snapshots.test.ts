import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { listEnvironments } from '../../stacks/environment/load.ts';
import { cloudInitFor } from '../../stacks/guest/cloud-init.ts';
import { decodeBase64, exampleCluster, resource, synthJson, synthText, type Json } from './synth.ts';

// The synthesized JSON of every example environment, byte for byte as cdktf
// writes it: the diff of these files is what a reviewer reads when the stack
// changes. guestinfo is base64 in the JSON, so its decoded documents get their
// own readable snapshot.

describe('synthesized stacks', () => {
  it.each(listEnvironments())('%s matches its snapshot', async (name) => {
    await expect(synthText(exampleCluster(name))).toMatchFileSnapshot(`__snapshots__/${name}.cdk.tf.json`);
  });

  it('are the same bytes every time (no absolute paths, no clocks)', () => {
    expect(synthText(exampleCluster('prod'))).toBe(synthText(exampleCluster('prod')));
    expect(synthText(exampleCluster('lab'))).not.toContain(process.cwd());
  });

  it.each([
    ['dev', ['dev-cp-1', 'dev-general-1']],
    ['prod', ['prod-cp-1', 'prod-general-a-1']],
  ] as const)('%s: the cloud-init documents in guestinfo match their snapshot', async (name, nodes) => {
    const json = synthJson(exampleCluster(name));
    const text = nodes
      .map((node) => {
        const extra = resource(json, 'vsphere_virtual_machine', `node_${node}`)['extra_config'] as Json;
        return ['metadata', 'userdata']
          .map((doc) => {
            expect(extra[`guestinfo.${doc}.encoding`]).toBe('base64');
            return `# ${node}: guestinfo.${doc}\n${decodeBase64(extra[`guestinfo.${doc}`] as string)}`;
          })
          .join('\n');
      })
      .join('\n');
    await expect(text).toMatchFileSnapshot(`__snapshots__/${name}.guestinfo.yaml`);
  });

  it("puts every node's own name and address in its documents, quoted where YAML would read them as something else", () => {
    const cluster = exampleCluster('prod');
    for (const node of cluster.nodes) {
      const { metadata, userdata } = cloudInitFor(node, cluster.spec);
      const meta = parse(metadata) as { 'instance-id': string; network: { ethernets: { primary: { addresses: string[] } } } };
      expect(meta['instance-id']).toBe(node.name);
      expect(meta.network.ethernets.primary.addresses).toEqual([`${node.address}/22`]);
      expect((parse(userdata) as { hostname: string }).hostname).toBe(node.name);
    }
    // Not a name topology gives, but the documents must stay right for any value: YAML reads an unquoted true as a boolean.
    const odd = { ...cluster.nodes[0]!, name: 'true' };
    const { metadata, userdata } = cloudInitFor(odd, cluster.spec);
    expect(metadata).toContain("instance-id: \"true\"\n");
    expect((parse(userdata) as { hostname: unknown }).hostname).toBe('true');
  });
});
