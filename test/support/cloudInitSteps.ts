// A rendered cloud-init.yaml as the steps cloud-init would take on first boot, in its order, for a lab
// that plays a first boot inside a network namespace instead of booting a cloud image.
//
// cloud-init writes `write_files` in its init stage, installs `packages`, writes the deferred
// `write_files` (defer: true) in its final stage, then runs `runcmd` (scripts-user) with /bin/sh. Of
// that, the steps are the files and the commands; packages and users are left to the lab, which has
// the tools installed and logs in as root. What this reads is the subset fortress renders: it throws
// on anything else rather than guess.
import { parse } from 'yaml';

export type CloudInitStep =
  /** Write `content` to `path` (creating its directories) with `mode`, owned by root. */
  | { kind: 'write'; path: string; content: string; mode: number }
  /** Run `argv` as root: a string item of runcmd runs as `sh -c <item>`. */
  | { kind: 'run'; argv: string[] };

interface WriteFile {
  path?: unknown;
  content?: unknown;
  encoding?: unknown;
  permissions?: unknown;
  owner?: unknown;
  defer?: unknown;
  append?: unknown;
}

export function cloudInitSteps(text: string): CloudInitStep[] {
  if (!text.startsWith('#cloud-config\n')) throw new Error('not cloud-config user-data: the first line must be #cloud-config');
  // cloud-init reads YAML 1.1 (PyYAML).
  const config = parse(text, { version: '1.1' }) as { write_files?: WriteFile[]; runcmd?: unknown[] };
  const files = (config.write_files ?? []).map(writeStep);
  const runs = (config.runcmd ?? []).map(runStep);
  return [...files.filter((f) => !f.defer).map((f) => f.step), ...files.filter((f) => f.defer).map((f) => f.step), ...runs];
}

function writeStep(entry: WriteFile): { defer: boolean; step: CloudInitStep } {
  const { path, content = '', encoding, permissions = '0644', owner = 'root:root', defer = false, append = false } = entry;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`write_files: path must be absolute, not ${String(path)}`);
  if (typeof content !== 'string') throw new Error(`write_files ${path}: content must be a string`);
  if (owner !== 'root:root' || append !== false) throw new Error(`write_files ${path}: owner and append are not what fortress renders`);
  if (typeof permissions !== 'string' || !/^0[0-7]{3,4}$/.test(permissions)) throw new Error(`write_files ${path}: permissions must be an octal string, not ${String(permissions)}`);
  let bytes: string;
  if (encoding === undefined || encoding === 'text/plain') bytes = content;
  else if (encoding === 'b64' || encoding === 'base64') bytes = Buffer.from(content, 'base64').toString('utf8');
  else throw new Error(`write_files ${path}: encoding ${String(encoding)} is not one fortress renders`);
  return { defer: defer === true, step: { kind: 'write', path, content: bytes, mode: parseInt(permissions, 8) } };
}

function runStep(item: unknown): CloudInitStep {
  if (typeof item === 'string') return { kind: 'run', argv: ['sh', '-c', item] };
  if (Array.isArray(item) && item.every((a): a is string => typeof a === 'string')) return { kind: 'run', argv: item };
  throw new Error(`runcmd: an item must be a string or a list of strings, not ${JSON.stringify(item)}`);
}
