/**
 * What a failed SSH connection tells an operator: the cause in plain words and
 * what to check, since the library's own words ("Timed out while waiting for
 * handshake") blame nothing in particular.
 */
export function connectHint(cause: string, through: 'direct' | 'bastion'): string {
  const via = through === 'bastion' ? ' (from the bastion)' : '';
  if (/its bastion failed/.test(cause)) {
    return 'The bastion itself could not be reached: check ssh.bastion (host, port, user, key) and that its sshd runs; every node behind it fails the same way.';
  }
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
  if (through === 'bastion') return 'Check that the bastion (ssh.bastion) can reach the node: the address, ssh.port, sshd on the node, and firewalls between the two.';
  return 'Check the address, ssh.port, that sshd runs on the host, and firewalls between here and the host.';
}
