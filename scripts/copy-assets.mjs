// Does what tsc does not: copies the handlebars templates next to their renderers (and precompiles them), the remote shell
// scripts next to apply, init's templates next to init, and the generated JavaScript (the schema validator) next to its importer.
import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { TEMPLATE_OPTIONS } from '../dist/render/template.js';

const copy = (from, to, wanted) => {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copy(join(from, entry.name), join(to, entry.name), wanted);
    else if (wanted(entry.name)) cpSync(join(from, entry.name), join(to, entry.name));
  }
};
copy('src/render', 'dist/render', (name) => name.endsWith('.hbs'));
// Each template also precompiled beside itself, so that a render loads only handlebars' runtime.
const handlebars = createRequire(import.meta.url)('handlebars');
const precompile = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) precompile(path);
    else if (entry.name.endsWith('.hbs')) writeFileSync(`${path}.cjs`, `module.exports = ${handlebars.precompile(readFileSync(path, 'utf8'), TEMPLATE_OPTIONS)};\n`);
  }
};
precompile('dist/render');
copy('src/validate', 'dist/validate', (name) => name.endsWith('.js'));
copy('src/apply', 'dist/apply', (name) => name.endsWith('.sh'));
copy('src/enroll', 'dist/enroll', (name) => name.endsWith('.sh'));
// What `fortress init` writes into a repository: copied whole, read at run time beside init.js.
copy('src/init/templates', 'dist/init/templates', () => true);

// tsc writes files without the executable bit; the package's bin needs it for npx and for installs.
chmodSync('dist/cli/main.js', 0o755);
