// Copies the handlebars templates next to the compiled renderers, which read them beside themselves.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = 'src/render';
for (const target of readdirSync(from, { withFileTypes: true })) {
  if (!target.isDirectory()) continue;
  for (const file of readdirSync(join(from, target.name))) {
    if (file.endsWith('.hbs')) cpSync(join(from, target.name, file), join('dist/render', target.name, file));
  }
}
