#!/usr/bin/env node
// The fortress executable: hands the real process to the CLI and sets the exit status.
import { runCli } from './runCli.js';

const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  stderrIsTerminal: process.stderr.isTTY === true,
  env: {
    sshAuthSock: process.env.SSH_AUTH_SOCK,
    sshKeyFile: process.env.FORTRESS_SSH_KEY,
    githubStepSummary: process.env.GITHUB_STEP_SUMMARY,
  },
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exitCode = code;
