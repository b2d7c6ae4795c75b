// `fortress init [dir]`: see src/init/init.ts.
import { resolve } from 'node:path';
import { initRepository } from '../../../init/init.js';
import type { CliOptions } from '../../command.js';
import type { CliIo } from '../../io.js';

export async function run(options: CliOptions, io: CliIo): Promise<number> {
  return initRepository(resolve(io.cwd, options.arguments[0] ?? '.'), options.values.force === true, io);
}
