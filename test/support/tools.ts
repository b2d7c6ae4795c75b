// Real tools, never mocks. A test that needs one calls requireTools first: a missing tool fails the
// test with the package to install (scripts/test.sh installs them), it never skips silently.
import { execFileSync, spawnSync } from 'node:child_process';

const PACKAGES: Record<string, string> = {
  wg: 'wireguard-tools',
  'wg-quick': 'wireguard-tools',
  'wireguard-go': 'wireguard-go',
  haproxy: 'haproxy',
  ip: 'iproute2',
  ping: 'iputils-ping',
  terraform: 'terraform (preinstalled at /usr/local/bin)',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  sshd: 'openssh-server',
  'ssh-agent': 'openssh-client',
  'ssh-add': 'openssh-client',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  sysctl: 'procps',
  bash: 'bash',
  findmnt: 'util-linux',
  nft: 'nftables',
  sudo: 'sudo',
  setpriv: 'util-linux',
  'systemd-analyze': 'systemd',
  'cloud-init': 'cloud-init',
  python3: 'python3 (cloud-init depends on it)',
};

export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).status === 0;
}

export function requireTools(...names: string[]): void {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length > 0) {
    throw new Error(`missing tools: ${missing.map((m) => `${m} (${PACKAGES[m] ?? m})`).join(', ')}; run \`npm test\`, which installs them`);
  }
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test needs root for network namespaces; run it as root (CI does)');
}

export function run(command: string, args: string[], input?: string): string {
  return execFileSync(command, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}
