// Simulated curl: never touches the network. URLs of the lab's API servers
// answer from the shared cluster state (healthz, readyz, livez, version);
// the few URLs node scripts download (apt keys, Calico manifests) return
// deterministic fixtures (lib/fetch.mjs); everything else is HTTP 404.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { readCluster } from './lib/cluster.mjs';
import { fixtureForUrl } from './lib/fetch.mjs';
import { endpointState, splitHostPort } from './lib/kube.mjs';
import { fail, simulate } from './lib/sim.mjs';

const SPEC = {
  fail: { type: 'boolean', short: 'f' },
  'fail-with-body': { type: 'boolean' },
  silent: { type: 'boolean', short: 's' },
  'show-error': { type: 'boolean', short: 'S' },
  location: { type: 'boolean', short: 'L' },
  output: { type: 'string', short: 'o', multiple: true },
  'remote-name': { type: 'boolean', short: 'O' },
  'create-dirs': { type: 'boolean' },
  insecure: { type: 'boolean', short: 'k' },
  cacert: { type: 'string' },
  capath: { type: 'string' },
  cert: { type: 'string', short: 'E' },
  key: { type: 'string' },
  retry: { type: 'string' },
  'retry-delay': { type: 'string' },
  'retry-max-time': { type: 'string' },
  'retry-all-errors': { type: 'boolean' },
  'retry-connrefused': { type: 'boolean' },
  'connect-timeout': { type: 'string' },
  'max-time': { type: 'string', short: 'm' },
  header: { type: 'string', short: 'H', multiple: true },
  data: { type: 'string', short: 'd', multiple: true },
  'data-raw': { type: 'string', multiple: true },
  'data-binary': { type: 'string', multiple: true },
  user: { type: 'string', short: 'u' },
  'user-agent': { type: 'string', short: 'A' },
  'write-out': { type: 'string', short: 'w' },
  request: { type: 'string', short: 'X' },
  head: { type: 'boolean', short: 'I' },
  include: { type: 'boolean', short: 'i' },
  verbose: { type: 'boolean', short: 'v' },
  compressed: { type: 'boolean' },
  proto: { type: 'string' },
  'proto-redir': { type: 'string' },
  'tlsv1.2': { type: 'boolean' },
  'tlsv1.3': { type: 'boolean' },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
  'no-progress-meter': { type: 'boolean' },
  'progress-bar': { type: 'boolean', short: '#' },
  'http1.1': { type: 'boolean' },
  noproxy: { type: 'string' },
};

/** A lab API server URL: { status, body } or a curl error { code, message }. */
function apiResponse(url, flags) {
  const state = readCluster();
  const { host, port } = splitHostPort(url.host, url.protocol === 'https:' ? 443 : 80);
  const reach = endpointState(state, host, port);
  if (reach === 'refused') return { code: 7, message: `Failed to connect to ${host} port ${port} after 0 ms: Couldn't connect to server` };
  if (reach === 'no-quorum') return { code: 28, message: `Operation timed out after 10001 milliseconds with 0 bytes received` };
  const trusted = flags.insecure || (flags.cacert && existsSync(flags.cacert) && readFileSync(flags.cacert, 'utf8').trim() === state.cluster.caCertPem.trim());
  if (!trusted) {
    return { code: 60, message: 'SSL certificate problem: unable to get local issuer certificate\nMore details here: https://curl.se/docs/sslcerts.html\n\ncurl failed to verify the legitimacy of the server and therefore could not\nestablish a secure connection to it. To learn more about this situation and\nhow to fix it, please visit the web page mentioned above.' };
  }
  const path = url.pathname;
  if (['/healthz', '/livez', '/readyz'].includes(path)) return { status: 200, body: 'ok' };
  if (path === '/version') {
    const v = state.cluster.kubernetesVersion;
    const [major, minor] = v.slice(1).split('.');
    return { status: 200, body: `${JSON.stringify({ major, minor, gitVersion: v, platform: 'linux/amd64' }, null, 2)}\n` };
  }
  return {
    status: 403,
    body: `${JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `forbidden: User "system:anonymous" cannot get path "${path}"`, reason: 'Forbidden', details: {}, code: 403 }, null, 2)}\n`,
  };
}

function isLabAddress(host) {
  return /^127\./.test(host) || host === 'localhost';
}

await simulate(
  'curl',
  (ctx) => {
    const { flags, positionals } = parseArgs(ctx.argv, SPEC, {
      onUnknown: (flag) => fail(2, `curl: option ${flag}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information`),
      onMissingValue: (flag) => fail(2, `curl: option ${flag}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information`),
    });
    if (positionals.length === 0) fail(2, "curl: no URL specified!\ncurl: try 'curl --help' or 'curl --manual' for more information");
    const showErrors = !flags.silent || flags['show-error'];
    const outputs = [...(flags.output ?? [])];
    let code = 0;
    for (const raw of positionals) {
      const text = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
      let url;
      try {
        url = new URL(text);
      } catch {
        if (showErrors) ctx.err(`curl: (3) URL using bad/illegal format or missing URL\n`);
        code = 3;
        continue;
      }
      const { host } = splitHostPort(url.host, 443);
      const response = isLabAddress(host) || host === readCluster().cluster?.controlPlaneEndpoint.split(':')[0] ? apiResponse(url, flags) : fixtureForUrl(url.href);
      if (response.code !== undefined) {
        if (showErrors) ctx.err(`curl: (${response.code}) ${response.message}\n`);
        code = response.code;
        continue;
      }
      const failing = response.status >= 400 && (flags.fail || flags['fail-with-body']);
      if (failing && !flags['fail-with-body']) {
        if (showErrors) ctx.err(`curl: (22) The requested URL returned error: ${response.status}\n`);
        code = 22;
        continue;
      }
      let body = flags.head ? `HTTP/2 ${response.status} \r\n\r\n` : `${flags.include ? `HTTP/2 ${response.status} \r\n\r\n` : ''}${response.body}`;
      const target = flags['remote-name'] && outputs.length === 0 ? basename(url.pathname) || 'index.html' : outputs.shift();
      if (target !== undefined && target !== '-') {
        if (flags['create-dirs']) mkdirSync(dirname(target), { recursive: true });
        let before;
        try {
          before = readFileSync(target, 'utf8');
        } catch {
          before = undefined;
        }
        try {
          writeFileSync(target, body);
        } catch (err) {
          if (showErrors) ctx.err(`Warning: Failed to open the file ${target}: ${err.code === 'ENOENT' ? 'No such file or directory' : err.code === 'EACCES' ? 'Permission denied' : err.message}\ncurl: (23) client returned ERROR on write of ${Buffer.byteLength(body)} bytes\n`);
          code = 23;
          continue;
        }
        if (before !== body) ctx.mutated();
        body = '';
      }
      ctx.out(body);
      if (flags['write-out']) {
        ctx.out(flags['write-out'].replaceAll('%{http_code}', String(response.status)).replaceAll('%{response_code}', String(response.status)).replaceAll('%{url_effective}', url.href).replaceAll('%{size_download}', String(Buffer.byteLength(response.body))).replaceAll('\\n', '\n'));
      }
      if (failing) {
        if (showErrors) ctx.err(`curl: (22) The requested URL returned error: ${response.status}\n`);
        code = 22;
      }
    }
    return code;
  },
  { extra: ['--user', '-u'] },
);
