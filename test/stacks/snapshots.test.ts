import { describe, expect, it } from 'vitest';
import { listEnvironments } from '../../stacks/environment/load.ts';
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
});
