// The GitHub REST API as the workflow scripts beside this file use it: the job's token, JSON in and
// out, pages followed by their Link header, and every failure as one sentence (ScriptError) that the
// script prints without a stack trace. No dependencies: these scripts run in jobs that hold a token
// that can write and therefore never run npm (see .github/workflows/drift.yml and apply.yml).
import { readFileSync } from 'node:fs';

/** GitHub refuses an issue or comment body longer than this many characters. */
export const BODY_LIMIT = 65_536;

/** A failure the script explains in one sentence: a bad argument (exit 2) or an API error (exit 1). */
export class ScriptError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * The repository and the API the job's environment names. GITHUB_API_URL, GITHUB_REPOSITORY and the
 * other GITHUB_* variables are set by the runner; GITHUB_TOKEN is passed by the step.
 */
export function githubFromEnvironment(env) {
  const token = env.GITHUB_TOKEN;
  if (!token) throw new ScriptError('GITHUB_TOKEN is not set: pass the job token to the step (env: GITHUB_TOKEN: ${{ github.token }})', 2);
  const repository = env.GITHUB_REPOSITORY ?? '';
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) throw new ScriptError(`GITHUB_REPOSITORY is ${JSON.stringify(repository)}, not owner/name`, 2);
  const apiUrl = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  let origin;
  try {
    origin = new URL(apiUrl).origin;
  } catch {
    throw new ScriptError(`GITHUB_API_URL is ${JSON.stringify(apiUrl)}, not a URL`, 2);
  }
  const runUrl = env.GITHUB_SERVER_URL && /^\d+$/.test(env.GITHUB_RUN_ID ?? '') ? `${env.GITHUB_SERVER_URL.replace(/\/+$/, '')}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
  return { repository, runUrl, ...apiClient(apiUrl, origin, token) };
}

function apiClient(apiUrl, origin, token) {
  /** One request; the parsed JSON answer (undefined for an empty one) and the next page's URL, if any. */
  async function send(method, url, body) {
    const where = `${method} ${url.startsWith(apiUrl) ? url.slice(apiUrl.length) : url}`;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${token}`,
          'user-agent': 'fortress-workflow-script',
          'x-github-api-version': '2022-11-28',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const reason = error?.cause?.message ?? error?.message ?? String(error);
      throw new ScriptError(`${where}: the GitHub API at ${apiUrl} could not be reached (${reason})`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = '';
      try {
        message = JSON.parse(text).message ?? '';
      } catch {
        message = text.slice(0, 200);
      }
      const hint = response.status === 403 || response.status === 404 ? " (does the job's permissions block grant this?)" : '';
      throw new ScriptError(`${where}: the GitHub API answered ${response.status} ${response.statusText}${message ? `: ${message}` : ''}${hint}`);
    }
    let data;
    try {
      data = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new ScriptError(`${where}: the GitHub API answered ${response.status} with something that is not JSON`);
    }
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    // The token goes to the API's own origin only, whatever a Link header says.
    if (next !== undefined && new URL(next, apiUrl).origin !== origin) throw new ScriptError(`${where}: the next page is at another origin (${new URL(next, apiUrl).origin})`);
    return { data, next: next === undefined ? undefined : new URL(next, apiUrl).href };
  }

  return {
    /** A request to path (under the API URL, query included), its JSON answer. */
    request: async (method, path, body) => (await send(method, `${apiUrl}${path}`, body)).data,
    /** Every item of a listing, page after page. */
    async paginate(path) {
      const items = [];
      for (let url = `${apiUrl}${path}`; url !== undefined; ) {
        const { data, next } = await send('GET', url);
        if (!Array.isArray(data)) throw new ScriptError(`GET ${path}: the GitHub API answered something that is not a list`);
        items.push(...data);
        url = next;
      }
      return items;
    },
  };
}

/** A text file the job downloaded, or undefined when it is not there. */
export function readOptionalText(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error?.code === 'ENOENT' || error?.code === 'EISDIR') return undefined;
    throw new ScriptError(`cannot read ${path}: ${error?.message ?? error}`, 2);
  }
}

/**
 * head, then as much of text as fits with tail under GitHub's body limit, cut at a line break where
 * there is one, with cutNote in place of what was left out. Lengths are UTF-16 code units, which are
 * never fewer than the characters GitHub counts.
 */
export function fitBody(head, text, tail, cutNote) {
  if (head.length + text.length + tail.length <= BODY_LIMIT) return `${head}${text}${tail}`;
  const room = BODY_LIMIT - head.length - tail.length - cutNote.length - 2;
  let end = Math.max(0, room);
  const lastLine = text.lastIndexOf('\n', end - 1);
  if (lastLine > 0) end = lastLine + 1;
  // Never half of a surrogate pair.
  else if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1])) end -= 1;
  return `${head}${text.slice(0, end)}${end > 0 && !text.slice(0, end).endsWith('\n') ? '\n' : ''}\n${cutNote}${tail}`;
}

/** Runs a script's main: its exit code, or its ScriptError as one line on stderr. */
export async function runMain(name, main) {
  try {
    process.exitCode = await main();
  } catch (error) {
    if (error instanceof ScriptError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`${name}: internal error (a bug in ${name}; please report it with this line): ${error?.message ?? error}\n`);
      process.exitCode = 3;
    }
  }
}
