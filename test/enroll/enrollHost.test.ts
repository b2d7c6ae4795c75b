// enrollHost's refusals that come before any host is reached, with the real effects: a malformed
// fingerprint, a topology that does not validate (as it is, or with the host written in), and an
// address where nothing listens (a loopback port just released).
import { createServer } from 'node:net';
import { afterAll, expect, test } from 'vitest';
import { enrollHost, sshEffects, type EnrollRequest, type EnrollResult } from '../../src/enroll/enrollHost.js';
import { TempRepo } from '../support/tempRepo.js';
import { lineOf } from './lineOf.js';

const repo = TempRepo.withExample();
afterAll(() => repo.remove());
const path = 'topology/topology.yaml';

/** A loopback port nothing listens on: bound by the kernel's choice, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function enroll(request: EnrollRequest, text = repo.read(path)): Promise<EnrollResult> {
  return enrollHost(request, {
    ...sshEffects({}),
    readTopology: async () => ({ path, text }),
    writeTopology: async () => expect.fail('nothing may be written'),
  });
}

test('a malformed --host-key-fingerprint stops enroll before it reads anything (FT534)', async () => {
  const result = await enrollHost(
    { host: 'fra-app-03', ssh: { address: '127.0.0.1' }, site: 'frankfurt', hostKeyFingerprint: 'SHA1:abc' },
    { ...sshEffects({}), readTopology: () => expect.fail('not read'), writeTopology: () => expect.fail('not written') },
  );
  expect(result).toEqual({ written: false, diagnostics: [expect.objectContaining({ code: 'FT534' })] });
});

test('nothing listening: FT535 with the reason, and nothing else happened', async () => {
  const port = await closedPort();
  const result = await enroll({ host: 'fra-app-03', ssh: { address: '127.0.0.1', port }, site: 'frankfurt', trustOnFirstUse: true });
  expect(result.diagnostics.map((d) => d.code)).toEqual(['FT535']);
  expect(result.diagnostics[0]!.message).toBe(`fra-app-03: cannot connect to 127.0.0.1 port ${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  expect(result).toMatchObject({ written: false });
  expect(result.hostKey).toBeUndefined();
});

test('a topology that does not validate is refused with its own diagnostics, before connecting', async () => {
  const port = await closedPort();
  const broken = repo.read(path).replace('country: GB', 'country: UK');
  const result = await enroll({ host: 'fra-app-03', ssh: { address: '127.0.0.1', port }, site: 'frankfurt', trustOnFirstUse: true }, broken);
  expect(result.diagnostics.map((d) => [d.code, d.span?.start.line])).toEqual([['FT322', lineOf(broken, '  london:')]]);
});

test('a new host without --site in a topology of three sites: FT530, before connecting', async () => {
  const port = await closedPort();
  const result = await enroll({ host: 'fra-app-03', ssh: { address: '127.0.0.1', port }, trustOnFirstUse: true });
  expect(result.diagnostics.map((d) => [d.code, d.span?.start.line])).toEqual([['FT530', lineOf(repo.read(path), 'sites:')]]);
});

test('an address inside mesh.cidr would be routed into the tunnel: refused before connecting, pointing at the new entry', async () => {
  const result = await enroll({ host: 'fra-app-03', ssh: { address: '10.100.0.77' }, site: 'frankfurt', trustOnFirstUse: true });
  expect(result.diagnostics).toMatchObject([{ code: 'FT320', span: { start: { line: lineOf(repo.read(path), 'hosts:') } }, message: expect.stringMatching(/\(in the entry enroll would write for fra-app-03\)$/) }]);
});
