export function generateKeyPair(): { publicKey: string; privateKey: string };
export function generateTopology(options: {
  hosts: number;
  shape?: 'hub-and-spoke' | 'full-mesh';
  endpoint?: (name: string, index: number) => string;
}): { topology: Record<string, unknown> & { hosts: Record<string, Record<string, unknown>> }; yaml: string; privateKeys: Map<string, string> };
