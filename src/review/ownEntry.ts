// Manifests are JSON read from git or the disk: a host named "constructor" must not find Object.prototype's.
export function ownEntry<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
