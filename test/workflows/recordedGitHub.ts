// A recorded GitHub REST API on 127.0.0.1, for the scripts under scripts/github/: GitHub is not
// reachable from the tests, and this is the one place where a stand-in for it is acceptable. It
// answers each `METHOD /path` (or `METHOD /path?query`, which wins) with a recorded JSON response —
// objects in the shape of GitHub's REST API reference (recorded-github/: an issue, a pull request, a
// comment, an error), trimmed to the fields the scripts read and a few more, not captured from
// github.com, which these tests cannot reach — answers anything else 404 as GitHub does, and records
// every request it receives.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ReceivedRequest {
  method: string;
  /** The path and query, as requested. */
  path: string;
  authorization: string | undefined;
  accept: string | undefined;
  apiVersion: string | undefined;
  /** The JSON body, parsed; undefined when there was none. */
  body: unknown;
}

export interface RecordedGitHub {
  /** What GITHUB_API_URL would be: http://127.0.0.1:<port>. */
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

const fixturesDir = new URL('./recorded-github/', import.meta.url);

/** A recorded GitHub object or listing from recorded-github/<name>.json, as a fresh copy. */
export function recorded<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`${name}.json`, fixturesDir), 'utf8')) as T;
}

/** The recorded document a route answers with, changed: `withFields(recorded('issue'), { state: 'closed' })`. */
export const withFields = <T extends object>(object: T, fields: Partial<T> & Record<string, unknown>): T => ({ ...object, ...fields });

const notFound: RecordedResponse = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' } };

async function bodyOf(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** Serves the routes until close(); `{port}` in a response header is this server's port (for Link headers). */
export async function startRecordedGitHub(routes: Record<string, RecordedResponse>): Promise<RecordedGitHub> {
  const requests: ReceivedRequest[] = [];
  const server = createServer(async (request, response) => {
    const path = request.url ?? '/';
    requests.push({
      method: request.method ?? '',
      path,
      authorization: request.headers.authorization,
      accept: request.headers.accept,
      apiVersion: request.headers['x-github-api-version'] as string | undefined,
      body: await bodyOf(request),
    });
    const route = routes[`${request.method} ${path}`] ?? routes[`${request.method} ${path.replace(/\?.*/, '')}`] ?? notFound;
    const port = String((server.address() as AddressInfo).port);
    const headers = Object.fromEntries(Object.entries(route.headers ?? {}).map(([name, value]) => [name, value.replaceAll('{port}', port)]));
    response.writeHead(route.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...headers });
    response.end(route.body === undefined ? '' : JSON.stringify(route.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command as a workflow step would, asynchronously (the recorded API answers from this
 * process), with only the environment given: nothing of the test's own GITHUB_* leaks in.
 */
export function runCommand(command: string, args: string[], options: { cwd: string; env: Record<string, string> }): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A step's script as the runner runs it: bash -e -o pipefail, in the given directory and environment. */
export const runStepScript = (script: string, options: { cwd: string; env: Record<string, string> }): Promise<ScriptRun> =>
  runCommand('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], options);
