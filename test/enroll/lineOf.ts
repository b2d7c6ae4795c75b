// Where a line is in a topology, found rather than counted: the example topology grows.

/** The 1-based number of the first line that starts with `start`. */
export function lineOf(text: string, start: string): number {
  const index = text.split('\n').findIndex((line) => line.startsWith(start));
  if (index < 0) throw new Error(`no line starts with ${JSON.stringify(start)}`);
  return index + 1;
}
