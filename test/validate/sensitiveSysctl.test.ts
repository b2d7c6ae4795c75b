// Keys that weaken a host need sysctl.allowSensitive, and the opt-in names only keys that need it.
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { isSensitiveSysctl, SENSITIVE_SYSCTLS, sensitiveSysctlReason } from '../../src/validate/sensitiveSysctl.js';
import { compileText } from '../support/compileExample.js';
import { smallTopology } from '../support/smallTopology.js';
import { errorCodes, validateText } from './validateText.js';

describe('the list of sensitive keys', () => {
  test.each([
    'kernel.modprobe',
    'kernel.core_pattern',
    'kernel.randomize_va_space',
    'kernel.yama.ptrace_scope',
    'kernel.kptr_restrict',
    'kernel.dmesg_restrict',
    'kernel.unprivileged_bpf_disabled',
    'kernel.sysrq',
    'fs.suid_dumpable',
    'fs.protected_symlinks',
    'net.ipv4.conf.all.rp_filter',
    'net.ipv4.conf.default.rp_filter',
    'net.ipv4.conf.eth0.accept_source_route',
    'net.ipv6.conf.wg0.accept_redirects',
    'vm.mmap_min_addr',
  ])('%s is sensitive', (key) => {
    expect(isSensitiveSysctl(key)).toBe(true);
  });

  test.each(['vm.swappiness', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.send_redirects', 'net.core.rmem_max', 'kernel.core_uses_pid', 'net.ipv4.conf.rp_filter', 'net.ipv4.conf.a.b.rp_filter', 'kernel.core_pattern_x'])(
    '%s is not',
    (key) => {
      expect(isSensitiveSysctl(key)).toBe(false);
    },
  );

  test('every entry has a one-line reason, and no pattern is listed twice', () => {
    for (const { pattern, reason } of SENSITIVE_SYSCTLS) {
      expect(pattern).toMatch(/^[a-z0-9_]+(\.([a-z0-9_]+|\*))+$/);
      expect(reason.length).toBeGreaterThan(10);
      expect(reason).not.toContain('\n');
      expect(sensitiveSysctlReason(pattern.replace('*', 'all'))).toBe(reason);
    }
    expect(new Set(SENSITIVE_SYSCTLS.map((s) => s.pattern)).size).toBe(SENSITIVE_SYSCTLS.length);
  });

  test('the listed keys are real kernel settings (those this kernel has)', () => {
    // Some exist only with a module or on some kernels (kernel.yama.*, kernel.unprivileged_userns_clone).
    const present = SENSITIVE_SYSCTLS.filter((s) => existsSync(`/proc/sys/${s.pattern.replace('*', 'all').replace(/\./g, '/')}`));
    expect(present.length).toBeGreaterThanOrEqual(SENSITIVE_SYSCTLS.length - 8);
  });
});

describe('sysctl.allowSensitive', () => {
  const hub = { roles: ['hub'], endpoint: '192.0.2.1' };

  test('a sensitive key without an opt-in is an error at the key, wherever it is set, with the opt-in to add', () => {
    const text = smallTopology(
      { hub: { ...hub, sysctl: { 'kernel.randomize_va_space': 0 } }, app: { roles: ['app'] } },
      { sysctl: { defaults: { 'kernel.core_pattern': 'core' }, roles: { app: { 'net.ipv4.conf.all.rp_filter': 0 } } } },
    );
    const { diagnostics } = validateText(text);
    expect(diagnostics.map((d) => [d.code, text.split('\n')[d.span!.start.line - 1]!.trim(), d.hint])).toEqual([
      ['FT326', 'kernel.core_pattern: core', 'if this is deliberate, add it to sysctl.allowSensitive: [kernel.core_pattern]; the review then flags it'],
      ['FT326', 'net.ipv4.conf.all.rp_filter: 0', 'if this is deliberate, add it to sysctl.allowSensitive: [net.ipv4.conf.all.rp_filter]; the review then flags it'],
      ['FT326', 'kernel.randomize_va_space: 0', 'if this is deliberate, add it to sysctl.allowSensitive: [kernel.randomize_va_space]; the review then flags it'],
    ]);
  });

  test('with the opt-in the key is rendered like any other', () => {
    const compiled = compileText(
      smallTopology({ hub, app: { roles: ['app'] } }, { sysctl: { allowSensitive: ['kernel.core_pattern', 'net.ipv4.conf.all.rp_filter'], defaults: { 'kernel.core_pattern': 'core' }, roles: { app: { 'net.ipv4.conf.all.rp_filter': 2 } } } }),
    );
    const sysctlOf = (host: string) => compiled.files.find((f) => f.host === host && f.hostPath === '/etc/sysctl.d/90-fortress.conf')!.content;
    expect(sysctlOf('app')).toContain('kernel.core_pattern = core\nnet.ipv4.conf.all.rp_filter = 2\n');
    expect(sysctlOf('hub')).toContain('kernel.core_pattern = core\n');
    expect(sysctlOf('hub')).not.toContain('rp_filter');
  });

  test('the opt-in is per key: another sensitive key still needs its own', () => {
    expect(errorCodes(smallTopology({ hub: { ...hub, sysctl: { 'kernel.core_pattern': 'core', 'kernel.sysrq': 0 } } }, { sysctl: { allowSensitive: ['kernel.core_pattern'] } }))).toEqual(['FT326']);
  });

  test('an opt-in for a key set nowhere, or for a key that is not sensitive, is an error at the opt-in', () => {
    const text = smallTopology({ hub: { ...hub, sysctl: { 'vm.swappiness': 10 } } }, { sysctl: { allowSensitive: ['kernel.modprobe', 'vm.swappiness'] } });
    const { diagnostics } = validateText(text);
    expect(diagnostics.map((d) => [d.code, d.message, text.split('\n')[d.span!.start.line - 1]!.trim()])).toEqual([
      ['FT327', 'sysctl.allowSensitive lists kernel.modprobe, which no default, role or host sets', '- kernel.modprobe'],
      ['FT327', 'sysctl.allowSensitive lists vm.swappiness, which is not a sensitive key and needs no opt-in', '- vm.swappiness'],
    ]);
  });

  test('fortress’s own hub settings need no opt-in', () => {
    expect(errorCodes(smallTopology({ hub, app: {} }))).toEqual([]);
  });

  test('the opt-in is part of the schema: a misspelt key is refused', () => {
    expect(errorCodes(smallTopology({ hub }, { sysctl: { allowSensitve: ['kernel.core_pattern'] } }))).toEqual(['FT201']);
    expect(errorCodes(smallTopology({ hub }, { sysctl: { allowSensitive: ['not a key'] } }))).toEqual(['FT205']);
  });
});
