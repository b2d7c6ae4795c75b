// GitHub Actions reads a job's log for workflow commands: a line that starts with `::` (after
// leading white space) such as `::error file=…::message`, and the legacy `##[command]` anywhere in a
// line. So every text fortress prints may reach that parser, and text that came from a file name, a
// topology or a host must never form a command of its own.
//
// https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands
// The escapes are those of @actions/core (toCommandValue/escapeData/escapeProperty) and the runner's
// ActionCommand.cs, which undoes them in this order.

/** The message part of a workflow command: after escaping it stays on its one line. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value (file=, title=): additionally no `:` (which would end the properties) or `,` (which would start another). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

/** One annotation line, `::error file=…,title=…::message`, every part escaped. */
export function annotation(level: AnnotationLevel, properties: Record<string, string | number | undefined>, message: string): string {
  const list = Object.entries(properties)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${escapeProperty(String(value))}`);
  return `::${level}${list.length > 0 ? ` ${list.join(',')}` : ''}::${escapeData(message)}`;
}

// The runner splits its input on \r, \n and \r\n; any of them starts a line it parses.
const LINE = /([^\r\n]*)(\r\n|\r|\n|$)/g;

/**
 * Plain text (not a command) that GitHub will not read as one: a line that would start with `::` gets
 * `: :` instead, and a legacy `##[` becomes `# #[`. Text with neither is returned unchanged.
 */
export function neutralizeWorkflowCommands(text: string): string {
  if (!/^\s*::|[\r\n]\s*::|##\[/.test(text)) return text;
  return text.replace(LINE, (_, line: string, end: string) => `${line.replace(/^(\s*)::/, '$1: :').replace(/##\[/g, '# #[')}${end}`);
}

/**
 * JSON for a log: `##[` only ever occurs inside a string (JSON's own syntax has no `#`), where
 * `##\u005b` is the same string to any JSON parser but not a command to the runner. Lines of
 * JSON.stringify never start with `::`.
 */
export function commandSafeJson(json: string): string {
  return json.replace(/##\[/g, '##\\u005b');
}
