// Types for the plain-JavaScript generator, which the benchmark runs without a build.
import type { MeshShape } from '../src/validate/topologyInput.js';

export function generateKeyPair(): { publicKey: string; privateKey: string };

export function generateTopology(options: {
  hosts: number;
  shape?: MeshShape;
  /** The host's public (underlay) address; only hubs get one in hub-and-spoke. */
  endpoint?: (name: string, index: number) => string;
}): {
  topology: Record<string, unknown> & { hosts: Record<string, { publicKey: string; roles: string[]; endpoint?: string } & Record<string, unknown>> };
  yaml: string;
  /** host name -> base64 private key; made at run time, never written anywhere by the generator */
  privateKeys: Map<string, string>;
};
