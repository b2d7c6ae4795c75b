// rendered/manifest.json: every file with its host, path on the host, hash, mode and reload action,
// so apply (and a reviewer) can tell what belongs where without walking the tree.
import { createHash } from 'node:crypto';
import type { RenderedFile } from '../render/renderedFile.js';

export const MANIFEST_PATH = 'manifest.json';

export interface ManifestEntry {
  path: string;
  host?: string;
  hostPath?: string;
  sha256: string;
  mode: string;
  reload: RenderedFile['reload'];
}

export interface Manifest {
  version: 1;
  topology: string;
  source: string;
  files: ManifestEntry[];
}

export function sha256(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export function buildManifest(topologyName: string, source: string, files: readonly RenderedFile[]): RenderedFile {
  const manifest: Manifest = {
    version: 1,
    topology: topologyName,
    source,
    files: files.map((f) => ({
      path: f.path,
      ...(f.host === undefined ? {} : { host: f.host, hostPath: f.hostPath }),
      sha256: sha256(f.content),
      mode: `0${f.mode.toString(8)}`,
      reload: f.reload,
    })),
  };
  return { path: MANIFEST_PATH, content: `${JSON.stringify(manifest, null, 2)}\n`, mode: 0o644, reload: 'none' };
}
