// Every command, in the order `fortress --help` lists them. One folder per command: index.ts says
// what it takes, and the module beside it, loaded only when the command runs, does the work.
import type { CommandDefinition } from '../command.js';
import { apply } from './apply/index.js';
import { diff } from './diff/index.js';
import { enroll } from './enroll/index.js';
import { init } from './init/index.js';
import { keys } from './keys/index.js';
import { render } from './render/index.js';
import { status } from './status/index.js';
import { validate } from './validate/index.js';

export const COMMAND_DEFINITIONS: readonly CommandDefinition[] = [validate, render, diff, apply, status, keys, enroll, init];
