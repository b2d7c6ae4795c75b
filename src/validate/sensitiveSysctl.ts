// Kernel settings that can weaken a host (or lock it out), whatever value they are given. A topology
// may set one only when `sysctl.allowSensitive` names it, so the change is deliberate, and the review
// raises `sensitive-sysctl` for it. The list is about value-independent risk: setting
// kernel.kptr_restrict to its strictest value still needs the opt-in, because the same line with
// another value is the attack, and a reviewer should read it either way.
//
// `*` stands for one component of the key: an interface name, `all` or `default`.

export interface SensitiveSysctl {
  /** A sysctl key, with `*` for one component. */
  pattern: string;
  /** Why a change to it matters, in one line. */
  reason: string;
}

export const SENSITIVE_SYSCTLS: readonly SensitiveSysctl[] = [
  // Helpers the kernel executes as root: pointing one at a file runs that file as root.
  { pattern: 'kernel.modprobe', reason: 'the program the kernel runs as root to load modules; repointing it runs any file as root' },
  { pattern: 'kernel.core_pattern', reason: 'a "|program" pattern pipes every core dump to a program the kernel runs as root' },
  { pattern: 'kernel.hotplug', reason: 'the program the kernel runs as root on hotplug events' },
  { pattern: 'kernel.poweroff_cmd', reason: 'the program the kernel runs as root on an orderly power-off' },
  // Exploit mitigations.
  { pattern: 'kernel.randomize_va_space', reason: 'below 2 weakens or turns off address space layout randomisation (ASLR)' },
  { pattern: 'kernel.yama.ptrace_scope', reason: 'lower values let a process trace, and read the memory of, other processes of its user' },
  { pattern: 'kernel.kptr_restrict', reason: '0 shows kernel addresses in /proc, which defeats kernel address randomisation (KASLR)' },
  { pattern: 'kernel.dmesg_restrict', reason: '0 lets every user read the kernel log, with its addresses and hardware details' },
  { pattern: 'kernel.unprivileged_bpf_disabled', reason: '0 lets unprivileged users load BPF programs, a frequent kernel exploit path' },
  { pattern: 'kernel.perf_event_paranoid', reason: 'lower values let unprivileged users profile the kernel and other processes (side channels)' },
  { pattern: 'kernel.kexec_load_disabled', reason: '0 keeps kexec able to replace the running kernel' },
  { pattern: 'kernel.sysrq', reason: 'magic SysRq keys can reboot, kill every process or dump memory from the console' },
  { pattern: 'kernel.modules_disabled', reason: '1 refuses every module until reboot, WireGuard\'s included: the host can drop out of the mesh' },
  { pattern: 'kernel.unprivileged_userns_clone', reason: 'unprivileged user namespaces open much of the kernel to unprivileged users (Debian and Ubuntu kernels)' },
  { pattern: 'user.max_user_namespaces', reason: 'user namespaces open much of the kernel to unprivileged users' },
  { pattern: 'net.core.bpf_jit_harden', reason: 'lower values turn off the hardening of BPF JIT code against spraying attacks' },
  { pattern: 'vm.mmap_min_addr', reason: 'low values make kernel NULL-pointer bugs exploitable' },
  { pattern: 'vm.unprivileged_userfaultfd', reason: '1 lets unprivileged users stall the kernel on page faults, which makes kernel races easy to win' },
  { pattern: 'dev.tty.ldisc_autoload', reason: '1 lets unprivileged users load TTY line-discipline modules, old kernel code with a record of exploits' },
  // File system protections.
  { pattern: 'fs.suid_dumpable', reason: 'core dumps of setuid programs can expose the secrets they held' },
  { pattern: 'fs.protected_hardlinks', reason: '0 brings back hard-link attacks on files owned by others' },
  { pattern: 'fs.protected_symlinks', reason: '0 brings back symlink races in world-writable directories such as /tmp' },
  { pattern: 'fs.protected_fifos', reason: '0 lets a process be tricked into writing to another user\'s FIFO in /tmp' },
  { pattern: 'fs.protected_regular', reason: '0 lets a process be tricked into writing to another user\'s file in /tmp' },
  // The network stack: spoofing and route injection.
  { pattern: 'net.ipv4.conf.*.rp_filter', reason: 'lower values accept packets with spoofed source addresses' },
  { pattern: 'net.ipv4.conf.*.accept_source_route', reason: 'source-routed packets choose their own path past filters' },
  { pattern: 'net.ipv6.conf.*.accept_source_route', reason: 'source-routed packets choose their own path past filters' },
  { pattern: 'net.ipv4.conf.*.accept_redirects', reason: 'ICMP redirects from the network can rewrite the host\'s routes' },
  { pattern: 'net.ipv6.conf.*.accept_redirects', reason: 'ICMP redirects from the network can rewrite the host\'s routes' },
  { pattern: 'net.ipv4.tcp_syncookies', reason: '0 leaves the host open to SYN floods' },
];

const compiled = SENSITIVE_SYSCTLS.map((s) => ({ ...s, regex: new RegExp(`^${s.pattern.replace(/\./g, '\\.').replace(/\*/g, '[^.]+')}$`) }));

/** Why changing `key` can weaken a host, or undefined when it is not on the list. */
export function sensitiveSysctlReason(key: string): string | undefined {
  return compiled.find((s) => s.regex.test(key))?.reason;
}

export function isSensitiveSysctl(key: string): boolean {
  return sensitiveSysctlReason(key) !== undefined;
}
