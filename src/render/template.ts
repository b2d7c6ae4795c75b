// Handlebars, set up for config files rather than HTML: no HTML escaping (each target escapes for its
// own format in TypeScript before the template sees a value) and strict lookups, so a misspelt field in a
// template is a loud bug rather than a silently empty line.
//
// The build precompiles every template (<name>.hbs -> <name>.hbs.cjs, scripts/copy-assets.mjs), so an
// installed fortress loads only handlebars' small runtime and compiles nothing when it starts; run from
// the sources (the tests), a template without its precompiled twin is compiled here, with the same options.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type HandlebarsCompiler from 'handlebars';

export type Template<T> = (context: T) => string;

export const TEMPLATE_OPTIONS = { noEscape: true, strict: true, preventIndent: true } as const;

const require = createRequire(import.meta.url);

export function loadTemplate<T>(url: URL): Template<T> {
  const precompiled = `${fileURLToPath(url)}.cjs`;
  if (existsSync(precompiled)) {
    const runtime = require('handlebars/runtime') as typeof HandlebarsCompiler;
    const compiled = runtime.template<T>(require(precompiled) as TemplateSpecification);
    return (context) => compiled(context);
  }
  const handlebars = require('handlebars') as typeof HandlebarsCompiler;
  const compiled = handlebars.compile<T>(readFileSync(url, 'utf8'), TEMPLATE_OPTIONS);
  return (context) => compiled(context);
}

type TemplateSpecification = Parameters<typeof HandlebarsCompiler.template>[0];
