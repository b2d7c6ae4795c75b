// Values written into cloud-init's YAML. cloud-init reads YAML 1.1 (PyYAML), where U+0085, U+2028 and
// U+2029 break lines even inside quotes, so anything outside printable ASCII is escaped, never written.

/** A double-quoted YAML string: printable ASCII as is, everything else as a \u escape. */
export function yamlString(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (code >= 0x20 && code <= 0x7e) out += c;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `"${out}"`;
}

/**
 * A file's content as a literal block scalar (`|`), its lines indented by `indent` spaces, so the file
 * reads in review as it will on the host; undefined when the text is not printable ASCII lines (tabs
 * allowed), which then go as base64. The chomping indicator keeps the exact trailing newlines, and an
 * indentation indicator is written when the first line starts with a space or a tab.
 */
export function literalBlock(text: string, indent: number): string | undefined {
  if (text === '' || !/^[\t\n\x20-\x7e]*$/.test(text)) return undefined;
  let trailing = 0;
  while (text[text.length - 1 - trailing] === '\n') trailing++;
  // Clip keeps one final newline, but only after a line of text: a text of newlines alone is kept whole.
  const chomping = trailing === 0 ? '-' : trailing === 1 && trailing < text.length ? '' : '+';
  const body = trailing === 0 ? text : text.slice(0, -1);
  // Without an indicator, YAML takes the indentation from the first line that is not empty: one that
  // starts with a blank would move it.
  const needsIndicator = /^\n*[ \t]/.test(body);
  // The indicator counts from the parent's indentation: the mapping that holds `content:`, two less.
  // Every line with text is indented (one regular expression, not a list of lines: hubs' files are long).
  return `|${needsIndicator ? 2 : ''}${chomping}\n${body.replace(/^(?=.)/gm, ' '.repeat(indent))}`;
}
