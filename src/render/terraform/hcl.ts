// Values written as HCL literals. Strings are quoted and escaped so that nothing a user writes can end
// the string or start a template: `${` and `%{` are doubled to stay literal text in Terraform.
import type { TerraformValue } from '../../validate/topologyInput.js';

export function hclString(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if ((c === '$' || c === '%') && next === '{') out += `${c}${c}`;
    else if (c < ' ' || c === '\u007f') out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `"${out}"`;
}

/**
 * An object key a user can name, always quoted: unquoted, `for`, `if`, `null` or `true` is a keyword
 * and `1st` is no identifier, and `terraform plan` rejects the file. Quoted, a key is a template like
 * any string, so it is escaped the same way. Keys fortress itself fixes (`mesh_address`) stay bare.
 */
export const hclObjectKey = hclString;

export function hclValue(value: TerraformValue | readonly string[]): string {
  if (Array.isArray(value)) return `[${value.map((v) => hclString(v)).join(', ')}]`;
  if (typeof value === 'string') return hclString(value);
  return String(value);
}

/** Pads attribute names the way `terraform fmt` aligns a run of single-line attributes. */
export function alignAttributes(attributes: readonly [string, string][]): { name: string; value: string }[] {
  const width = Math.max(0, ...attributes.map(([name]) => name.length));
  return attributes.map(([name, value]) => ({ name: name.padEnd(width), value }));
}
