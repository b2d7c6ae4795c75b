// The host-key trust rule, without SSH: fingerprints checked against OpenSSH's own ssh-keygen (keys
// it makes at run time, in a temp dir removed afterwards), and every branch of the decision.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { decideTrust, fingerprintOf, parseFingerprint, presentedHostKey, type PresentedHostKey } from '../../src/enroll/hostKeyTrust.js';
import { requireTools, run } from '../support/tools.js';
import { sshHostKeyLine } from './enrollKeys.js';

const scratch = mkdtempSync(join(tmpdir(), 'fortress-enroll-keys-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A key pair made by ssh-keygen: its public line (type and base64) and the fingerprint ssh-keygen prints for it. */
function opensshKey(type: 'ed25519' | 'ecdsa' | 'rsa'): { line: string; fingerprint: string } {
  requireTools('ssh-keygen');
  const path = join(scratch, `host_${type}_key`);
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', '', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  const fingerprint = run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]).split(' ')[1]!;
  return { line, fingerprint };
}

describe('fingerprints', () => {
  test.each(['ed25519', 'ecdsa', 'rsa'] as const)('%s: the same as ssh-keygen -l prints, from the line and from the blob ssh2 hands over', (type) => {
    const key = opensshKey(type);
    expect(key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprintOf(key.line)).toBe(key.fingerprint);
    const blob = Buffer.from(key.line.split(' ')[1]!, 'base64');
    expect(presentedHostKey(blob)).toEqual({ hostKey: key.line, fingerprint: key.fingerprint });
  });

  test('a blob that does not start with its type is refused', () => {
    expect(() => presentedHostKey(Buffer.from([0, 0, 0, 40, 1, 2]))).toThrow('malformed host key');
  });

  test('--host-key-fingerprint: SHA256 as ssh-keygen prints it, padding tolerated; MD5 and anything else refused (FT534)', () => {
    const { fingerprint } = opensshKey('ed25519');
    expect(parseFingerprint(fingerprint)).toEqual({ fingerprint, diagnostics: [] });
    expect(parseFingerprint(` ${fingerprint}= `)).toEqual({ fingerprint, diagnostics: [] });
    const md5 = parseFingerprint('MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48');
    expect(md5.fingerprint).toBeUndefined();
    expect(md5.diagnostics).toMatchObject([{ code: 'FT534', severity: 'error', message: '--host-key-fingerprint "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48" is not a SHA256 fingerprint: MD5 fingerprints are not accepted' }]);
    expect(parseFingerprint(fingerprint.slice(7)).diagnostics.map((d) => d.code)).toEqual(['FT534']);
    expect(parseFingerprint('SHA256:short').diagnostics.map((d) => d.code)).toEqual(['FT534']);
  });
});

describe('the trust decision', () => {
  const line = sshHostKeyLine();
  const presented: PresentedHostKey = { hostKey: line, fingerprint: fingerprintOf(line) };
  const other = fingerprintOf(sshHostKeyLine());

  test('the fingerprint given matches: trusted', () => {
    expect(decideTrust('fra-app-03', presented, { fingerprint: presented.fingerprint })).toEqual({ trusted: true, by: 'fingerprint' });
  });

  test('a wrong fingerprint: refused (FT532) with both fingerprints, whatever --trust-on-first-use says', () => {
    for (const trustOnFirstUse of [false, true]) {
      const decision = decideTrust('fra-app-03', presented, { fingerprint: other, trustOnFirstUse });
      expect(decision.trusted).toBe(false);
      if (decision.trusted) continue;
      expect(decision.diagnostic.code).toBe('FT532');
      expect(decision.diagnostic.message).toBe(`fra-app-03 presented the ssh-ed25519 host key ${presented.fingerprint}, not ${other} as --host-key-fingerprint says: refusing to log in`);
      expect(decision.diagnostic.hint).toContain('ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub');
    }
  });

  test('no fingerprint: refused (FT533), printing the fingerprint to check', () => {
    const decision = decideTrust('fra-app-03', presented, {});
    expect(decision).toEqual({
      trusted: false,
      diagnostic: {
        code: 'FT533',
        severity: 'error',
        message: `fra-app-03 presented the ssh-ed25519 host key ${presented.fingerprint}; without --host-key-fingerprint enroll does not trust it`,
        hint: `compare it with the fingerprint the cloud console or Terraform shows for the machine, then run enroll again with --host-key-fingerprint ${presented.fingerprint} (or --trust-on-first-use, which takes the key unchecked)`,
      },
    });
  });

  test('no fingerprint and --trust-on-first-use: trusted, and said to be so', () => {
    expect(decideTrust('fra-app-03', presented, { trustOnFirstUse: true })).toEqual({ trusted: true, by: 'first-use' });
  });
});
