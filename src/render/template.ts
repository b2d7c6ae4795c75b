// Handlebars, set up for config files rather than HTML: no HTML escaping (each target escapes for its
// own format in TypeScript before the template sees a value) and strict lookups, so a misspelt field in a
// template is a loud bug rather than a silently empty line.
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

export type Template<T> = (context: T) => string;

export function loadTemplate<T>(url: URL): Template<T> {
  const compiled = Handlebars.compile<T>(readFileSync(url, 'utf8'), { noEscape: true, strict: true, preventIndent: true });
  return (context) => compiled(context);
}
