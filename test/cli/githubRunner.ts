// How the GitHub Actions runner reads a job's log for workflow commands, after its
// src/Runner.Common/ActionCommand.cs (TryParseV2, then the legacy TryParse) and the worker's
// ActionCommandManager, which tries one and then the other on every line. Tests use it to prove
// that what fortress prints holds exactly the commands fortress meant, and no forged one.

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
}

/** The runner reads lines as .NET's ReadLine does: \r, \n and \r\n all end one. */
export function logLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

/** The command a log line carries, as the runner would run it; undefined for a plain line. Any command name counts. */
export function workflowCommandOf(line: string): WorkflowCommand | undefined {
  const trimmed = line.trimStart();
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2);
    if (end >= 0) {
      const info = trimmed.slice(2, end);
      const space = info.indexOf(' ');
      const command = space < 0 ? info : info.slice(0, space);
      if (/^[A-Za-z-]+$/.test(command)) {
        const properties: Record<string, string> = {};
        if (space > 0) {
          for (const property of info.slice(space + 1).trim().split(',').filter(Boolean)) {
            const eq = property.indexOf('=');
            if (eq > 0 && eq < property.length - 1) properties[property.slice(0, eq)] = unescapeProperty(property.slice(eq + 1));
          }
        }
        return { command, properties, data: unescapeData(trimmed.slice(end + 2)) };
      }
    }
  }
  // The legacy form, anywhere in the line: ##[command props]data
  const prefix = line.indexOf('##[');
  if (prefix < 0) return undefined;
  const close = line.indexOf(']', prefix);
  if (close < 0) return undefined;
  const info = line.slice(prefix + 3, close);
  const command = info.split(' ')[0]!;
  return /^[A-Za-z-]+$/.test(command) ? { command, properties: {}, data: line.slice(close + 1) } : undefined;
}

/** Every command in a stream of output. */
export function workflowCommandsIn(text: string): WorkflowCommand[] {
  return logLines(text)
    .map(workflowCommandOf)
    .filter((c): c is WorkflowCommand => c !== undefined);
}
