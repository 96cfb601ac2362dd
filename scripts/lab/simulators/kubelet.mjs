// Simulated kubelet binary: answers --version; the kubelet itself "runs" only
// as the simulated kubelet.service (systemctl), which reports to the cluster.
import { installed, readStatus } from './lib/dpkg.mjs';
import { fail, simulate } from './lib/sim.mjs';

await simulate('kubelet', (ctx) => {
  const pkg = installed(readStatus(), 'kubelet');
  const version = pkg ? `v${pkg.version.replace(/-.*$/, '')}` : 'v0.0.0';
  if (ctx.argv.includes('--version') || ctx.argv.includes('version')) {
    ctx.out(`Kubernetes ${version}\n`);
    return 0;
  }
  fail(1, 'E0000 00:00:00.000000 run.go:72] "command failed" err="the herd lab runs kubelet only as a service: use systemctl start kubelet"');
});
