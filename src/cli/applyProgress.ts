// apply's progress: on a terminal one line per host, redrawn in place as its events arrive; anywhere
// else (a CI log, a file) one line per event, so nothing is lost and nothing needs a terminal.
export type ProgressListener = (host: string, event: string) => void;

const CLEAR_LINE = '\u001b[2K';
const cursorUp = (lines: number) => `\u001b[${lines}A`;

export function applyProgress(write: (text: string) => void, terminal: boolean): ProgressListener {
  if (!terminal) return (host, event) => write(`${host}: ${event}\n`);
  const latest = new Map<string, string>();
  let drawn = 0;
  return (host, event) => {
    latest.set(host, event);
    const block = [...latest].map(([h, e]) => `${CLEAR_LINE}${h}: ${e}\n`).join('');
    write(`${drawn > 0 ? cursorUp(drawn) : ''}${block}`);
    drawn = latest.size;
  };
}
