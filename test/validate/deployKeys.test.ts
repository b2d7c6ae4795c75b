// deploy.authorizedKeys: OpenSSH public key lines only. A private key pasted there is its own error,
// at its position, and no message repeats what was pasted. Keys are made at run time by ssh-keygen.
import { describe, expect, test } from 'vitest';
import { parsePublicKeyLine } from '../../src/validate/rules/deployKeys.js';
import { smallTopology } from '../support/smallTopology.js';
import { newSshPublicKey, sshKeyPair } from '../support/sshKeys.js';
import { errorsOf, validateText } from './validateText.js';

const hosts = { hub: { roles: ['hub'], endpoint: '192.0.2.1' }, app: {} };
const withKeys = (authorizedKeys: unknown) => smallTopology(hosts, { deploy: { authorizedKeys } });
/** The line of `deploy.authorizedKeys[index]` in a topology smallTopology wrote: its list item. */
function lineOf(text: string, index: number): number {
  const lines = text.split('\n');
  const items = lines.map((l, i) => [l, i + 1] as const).filter(([l, i]) => i > lines.indexOf('deploy:') && l.startsWith('    - '));
  return items[index]![1];
}

describe('deploy.authorizedKeys', () => {
  test('public keys of every type ssh-keygen makes, with or without a comment, are valid', () => {
    const keys = [`${newSshPublicKey('ed25519')} ci@runner`, newSshPublicKey('ecdsa'), `${newSshPublicKey('rsa')} ops team laptop`];
    expect(validateText(withKeys(keys))).toEqual({ valid: true, diagnostics: [] });
    expect(parsePublicKeyLine(keys[2]!)).toMatchObject({ type: 'ssh-rsa', comment: 'ops team laptop' });
    // And deploy itself is optional.
    expect(validateText(smallTopology(hosts)).valid).toBe(true);
  });

  test.each([
    ['OpenSSH', 'ed25519', 'openssh'],
    ['PEM', 'rsa', 'PEM'],
    ['PKCS#8', 'ecdsa', 'PKCS8'],
  ] as const)('a pasted %s private key is FT350 at its entry, and the message does not repeat it', (_, type, format) => {
    const pair = sshKeyPair(type, format);
    const text = withKeys([`${newSshPublicKey()} ci`, pair.privateKey]);
    const { valid, diagnostics } = validateText(text);
    expect(valid).toBe(false);
    expect(diagnostics.map((d) => [d.code, d.span.start.line])).toEqual([['FT350', lineOf(text, 1)]]);
    const told = `${diagnostics[0]!.message} ${diagnostics[0]!.hint}`;
    for (const line of pair.privateKey.split('\n').filter((l) => l.length > 0)) expect(told).not.toContain(line);
    expect(diagnostics[0]!.message).toBe('deploy.authorizedKeys[1] is an SSH private key, not a public key');
  });

  test('a private key body without its armour is still a private key', () => {
    const body = sshKeyPair('ed25519').privateKey.split('\n').filter((l) => !l.startsWith('-----')).join('');
    expect(errorsOf(withKeys([body]))).toEqual([`FT350 ${lineOf(withKeys([body]), 0)}`]);
  });

  test.each([
    ['options before the key', (key: string) => `from="10.0.0.0/8",command="/bin/true" ${key} x`, /starts with options/],
    ['an unknown type', (key: string) => key.replace('ssh-ed25519', 'ssh-dss'), /does not start with a key type fortress knows/],
    ['base64 that is not', (key: string) => `${key}!!`, /is not base64/],
    ['a doubled space', (key: string) => key.replace(' ', '  '), /is not base64/],
    ['the type changed by hand', (key: string) => key.replace('ssh-ed25519', 'ssh-rsa'), /is not a ssh-rsa key/],
    ['a key cut short', (key: string) => key.slice(0, 24), /cut short|not base64/],
    ['a second line', (key: string) => `${key} a\nsudo: ALL`, /line break/],
    ['a line separator', (key: string) => `${key} a\u2028b`, /line break/],
    ['a leading space', (key: string) => ` ${key}`, /starts with a space/],
  ])('%s is FT351', (_, mangle, reason) => {
    const text = withKeys([mangle(newSshPublicKey())]);
    const { diagnostics } = validateText(text);
    expect(diagnostics.map((d) => [d.code, d.span.start.line])).toEqual([['FT351', lineOf(text, 0)]]);
    expect(diagnostics[0]!.message).toMatch(reason);
  });

  test('the same key twice, even with another comment, is FT207 at the second', () => {
    const key = newSshPublicKey();
    const text = withKeys([`${key} laptop`, newSshPublicKey('ecdsa'), `${key} desktop`]);
    expect(errorsOf(text)).toEqual([`FT207 ${lineOf(text, 2)}`]);
  });

  test('the schema: a list of at least one string, and nothing else under deploy', () => {
    expect(errorsOf(withKeys([]))).toEqual([expect.stringMatching(/^FT206 /)]);
    expect(errorsOf(withKeys(newSshPublicKey()))).toEqual([expect.stringMatching(/^FT203 /)]);
    expect(errorsOf(smallTopology(hosts, { deploy: { authorizedKey: [newSshPublicKey()] } }))).toEqual([expect.stringMatching(/^FT201 /)]);
    expect(validateText(withKeys([newSshPublicKey()])).valid).toBe(true);
  });
});
