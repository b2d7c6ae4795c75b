// A stand-in for a mesh-only service such as postgres: a TCP listener bound to one address of a lab
// host that writes a line to whoever connects and closes. It runs on the test's own node binary
// (process.execPath), so it needs nothing a fresh machine might lack. The address is typically a
// mesh address, which exists only once WireGuard is up; starting before that fails at once
// (EADDRNOTAVAIL) rather than retrying.
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostNamespace } from './hostNamespace.js';
import { namespaceInode, type Lab } from './lab.js';

const SERVER = `
const net = require('node:net');
const [address, port, banner] = process.argv.slice(1);
const server = net.createServer((socket) => { socket.on('error', () => {}); socket.end(banner + '\\n'); });
server.on('error', (error) => { process.stderr.write(String(error.code) + ': ' + error.message + '\\n'); process.exit(1); });
server.listen({ host: address, port: Number(port), exclusive: true }, () => process.stdout.write('listening\\n'));
`;

export interface TcpServiceOptions {
  address: string;
  port: number;
  /** The line written to every connection. */
  banner: string;
  /** How long to wait for the listener; default 5 s. */
  timeoutMs?: number;
}

export interface TcpService {
  pid: number;
  running(): boolean;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

export async function startTcpService(lab: Lab, host: HostNamespace, options: TcpServiceOptions): Promise<TcpService> {
  const child = spawn('nsenter', ['--target', String(host.holderPid), '--mount', '--net', '--', process.execPath, '-e', SERVER, options.address, String(options.port), options.banner], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Not the test runner's environment: no NODE_OPTIONS or loaders of the test process.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  lab.own(child);
  if (child.pid === undefined) throw new Error(`could not start the TCP service on ${host.name}`);
  const pid = child.pid;
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout = (stdout + chunk).slice(-4096)));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4096)));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const service: TcpService = {
    pid,
    running: () => !exited(),
    async stop() {
      if (exited()) return;
      child.kill('SIGTERM');
      for (let i = 0; i < 60 && !exited(); i++) await sleep(50);
      if (!exited()) child.kill('SIGKILL');
      for (let i = 0; i < 60 && !exited(); i++) await sleep(50);
      if (!exited()) throw new Error(`the TCP service (pid ${pid}) on ${host.name} did not exit`);
    },
  };

  const netns = `net:[${namespaceInode(host.name)}]`;
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (let i = 0; i < 500 && Date.now() < deadline; i++) {
    if (exited()) break;
    if (stdout.includes('listening\n') && readlinkSafe(`/proc/${pid}/ns/net`) === netns) return service;
    await sleep(20);
  }
  await service.stop();
  throw new Error(`the TCP service on ${host.name} did not listen on ${options.address}:${options.port}: ${stderr.trim() || 'timed out'}`);
}

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
