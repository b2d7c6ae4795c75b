// Preloaded into the measured fortress process (node --import): reports its own peak RSS when it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\n@@usage ${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
});
