import { vcsimBinary } from './vcsim.ts';

// `.ci/run` builds the simulator once before the tests, so that a build error shows as itself.
process.stdout.write(`vcsim: ${vcsimBinary()}\n`);
