// Anything a host prints is data, never layout: control characters (escape sequences, carriage
// returns, newlines that would start a markdown heading or a workflow command) become spaces before
// the text reaches a terminal, the JSON report, a step summary or a PR comment.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function remoteText(text: string): string {
  return text.replace(CONTROL, ' ').replace(/ {2,}/g, ' ').trim();
}
