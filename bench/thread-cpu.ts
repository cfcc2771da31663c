// CPU of this process's main thread alone (the event loop), beside process.cpuUsage() which counts
// every thread: with the SQLite writer thread, how much of a payment's CPU left the event loop.
// Linux only (/proc/self/task/<pid>/stat, in clock ticks of 10 ms); undefined elsewhere.
import { readFileSync } from 'node:fs';

const microsecondsPerTick = 10_000;

export function mainThreadCpuUs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at "state"; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * microsecondsPerTick;
  } catch {
    return undefined;
  }
}
