// CPU profile of this process for a bench (`--cpu-profile [file]`): the V8 sampling profiler through the
// inspector, started just before the timed load and stopped after it. The server runs in the bench's own
// process and the load generator in a forked one, so the profile holds the server's work only.
// `node --import tsx scripts/cpu-top.ts <file>` prints the top self-time functions and modules.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export interface CpuProfiler { stop(): Promise<string> }

export async function startCpuProfile(file: string): Promise<CpuProfiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 1 ms sampling: at 15+ load average the shares, not the absolute times, are what the profile tells.
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return file;
    },
  };
}
