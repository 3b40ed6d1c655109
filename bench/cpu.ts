/**
 * CPU seconds spent by a local PostgreSQL server, read from /proc: every live `postgres` process,
 * plus what the postmaster has collected from backends that already exited. Undefined where the
 * server is not on this machine or /proc cannot tell.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

function ticks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticksPerSecond;
}

/** Fields of /proc/PID/stat after the command name. */
function statFields(pid: string): { comm: string; fields: string[] } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')), fields: text.slice(text.lastIndexOf(')') + 2).split(' ') };
  } catch {
    return undefined;
  }
}

export function isLocalServer(databaseUrl: string): boolean {
  const url = new URL(databaseUrl);
  const socket = url.searchParams.get('host');
  if (socket?.startsWith('/')) return true;
  return ['127.0.0.1', 'localhost', '[::1]', ''].includes(url.hostname);
}

export function postgresCpuSeconds(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  let total = 0;
  let found = false;
  for (const pid of pids) {
    const stat = statFields(pid);
    if (stat?.comm !== 'postgres') continue;
    found = true;
    // utime, stime; and for the postmaster (parent is not postgres) cutime, cstime of reaped backends.
    total += Number(stat.fields[11]) + Number(stat.fields[12]);
    const parent = statFields(stat.fields[1]!);
    if (parent?.comm !== 'postgres') total += Number(stat.fields[13]) + Number(stat.fields[14]);
  }
  return found ? total / ticks() : undefined;
}

/** This process's CPU seconds, all threads. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** CPU seconds (user + system, all threads) another process of this machine has used so far; undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  const stat = statFields(String(pid));
  return stat ? (Number(stat.fields[11]) + Number(stat.fields[12])) / ticks() : undefined;
}
