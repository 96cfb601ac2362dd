// 3b. No-change deploy on a converged lab environment: `herd apply` and
// `npx cdktf deploy` against `terraform apply` alone on the same synthesized
// stack, i.e. what herd adds over Terraform's own no-op.
import type { LabCluster } from './lib/lab-cluster.ts';
import { herdApply, runCommand } from './lib/herd-cli.ts';
import { formatSeconds, sample, type Sample } from './lib/stats.ts';

export function noChangeBenchmark(cluster: LabCluster, runs: number): string[] {
  const nodes = cluster.workers + 1;
  const terraform = (): { seconds: number; out: string } => runCommand('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], cluster.stackDir);
  const cdktf = (): { seconds: number; out: string } => runCommand('npx', ['cdktf', 'deploy', cluster.env, '--auto-approve'], cluster.projectDir);
  const herdDeploy = (): { seconds: number; out: string } => runCommand('npx', ['herd', 'deploy', cluster.env, '--auto-approve'], cluster.projectDir);
  const herd = (): number => herdApply(cluster.projectDir, cluster.env);
  // Warm-up, the first of each paying for cold caches; it also proves that there is nothing to change.
  const plan = terraform().out;
  if (!plan.includes('No changes.')) throw new Error(`terraform apply on the converged stack was not a no-op:\n${plan.slice(-2000)}`);
  const deploy = cdktf().out;
  if (!/No changes/.test(deploy)) throw new Error(`cdktf deploy on the converged stack was not a no-op:\n${deploy.slice(-2000)}`);
  const wrapped = herdDeploy().out;
  if (!/No changes/.test(wrapped)) throw new Error(`herd deploy on the converged stack was not a no-op:\n${wrapped.slice(-2000)}`);
  herd();
  const times = { terraform: [] as number[], cdktf: [] as number[], herdDeploy: [] as number[], herd: [] as number[] };
  for (let i = 0; i < runs; i++) {
    times.terraform.push(terraform().seconds);
    times.cdktf.push(cdktf().seconds);
    times.herdDeploy.push(herdDeploy().seconds);
    times.herd.push(herd());
  }
  const tf = sample(times.terraform);
  const rows: [string, Sample][] = [
    [`\`terraform apply\` in cdktf.out/stacks/${cluster.env} (Terraform's own no-op)`, tf],
    [`\`npx cdktf deploy ${cluster.env} --auto-approve\` (synthesis + the same Terraform no-op)`, sample(times.cdktf)],
    [`\`npx herd deploy ${cluster.env} --auto-approve\` (the README's path: synthesis in-process, then \`terraform apply\` itself)`, sample(times.herdDeploy)],
    [`\`herd apply ${cluster.env}\` (connect to every host, check every step, change nothing)`, sample(times.herd)],
  ];
  return [
    `## 3b. No-change deploy: converged ${nodes}-node lab environment`,
    '',
    `Seconds, median (min–max) of ${runs} runs, taking turns; ratio to \`terraform apply\`.`,
    '',
    '| | seconds | ratio to terraform apply | added over terraform apply |',
    '| --- | --- | --- | --- |',
    ...rows.map(([name, s]) => `| ${name} | ${formatSeconds(s)} | **${(s.median / tf.median).toFixed(2)}×** | ${(s.median - tf.median).toFixed(2)} s |`),
    '',
    'A converged stack plans no change, so `terraform apply` does not run the reconcile resource (`herd apply`): ' +
      '`cdktf deploy` adds synthesis, the cdktf CLI and a `terraform init`; `herd deploy` adds Node.js loading herd and the CDK library, synthesis and one state read (an unfinished reconcile from an earlier run). `herd apply` is what runs when something did change, ' +
      'or what an operator runs to check that the hosts still match.',
    '',
  ];
}
