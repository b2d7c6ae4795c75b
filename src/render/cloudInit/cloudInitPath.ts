// Where a host's first-boot user-data sits in rendered/. Apart from its renderer, so the review and the
// tfvars can name the file without loading its template.
export const CLOUD_INIT_FILE = 'cloud-init.yaml';

/** hosts/<host>/cloud-init.yaml, inside rendered/. */
export function cloudInitPath(host: string): string {
  return `hosts/${host}/${CLOUD_INIT_FILE}`;
}
