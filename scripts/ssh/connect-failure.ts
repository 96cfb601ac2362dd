/**
 * What a failed SSH connection tells an operator: the cause in plain words and
 * what to check, since the library's own words ("Timed out while waiting for
 * handshake") blame nothing in particular.
 */
export function connectHint(cause: string, through: 'direct' | 'bastion'): string {
  const via = through === 'bastion' ? ' (from the bastion)' : '';
  if (/authentication methods failed/i.test(cause)) {
    return 'The host refused the login: check ssh.user, the key (ssh.privateKeyFile or the agent\'s keys) and that its public key is in the user\'s authorized_keys on the host.';
  }
  if (/ECONNREFUSED|Connection refused|open failed/i.test(cause)) {
    return `Nothing accepted the connection${via}: check the address and ssh.port, that sshd runs on the host, and firewalls that reject connections.`;
  }
  if (/EHOSTUNREACH|ENETUNREACH|No route/i.test(cause)) {
    return `No route to the host${via}: check the address, the network's routing, and that the host is up.`;
  }
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(cause)) {
    return 'The name does not resolve: check the address or the DNS of this machine (or of the bastion).';
  }
  if (/handshake|ETIMEDOUT|timed out/i.test(cause)) {
    return `The host did not answer with SSH${via}: check that it is up, that a firewall does not drop the packets, and that sshd is not hung (a TCP port that accepts and never speaks gives this too).`;
  }
  if (/bastion/i.test(cause)) {
    return 'Check ssh.bastion (host, port, user, key) and that the bastion can reach the node.';
  }
  return 'Check the address, ssh.port, that sshd runs on the host, and firewalls between here and the host.';
}
