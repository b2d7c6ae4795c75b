#!/usr/bin/env node
// The fortress executable: hands the real process to the CLI and sets the exit status.
import { runCli } from './runCli.js';

const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exitCode = code;
