// Prints the top self-time functions and modules of a .cpuprofile (V8 / Chrome DevTools format), as shares
// of all samples: `node --import tsx scripts/cpu-top.ts <file> [--top 30]`. Shares survive a loaded
// machine where absolute times do not. Made for `npm run bench -- payments --cpu-profile`.
import { readFileSync } from 'node:fs';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }

/** Self time per node id, in microseconds, from the samples and their time deltas. */
function selfTimes(profile: Profile): Map<number, number> {
  const times = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    const next = deltas[i + 1] ?? 0;
    times.set(id, (times.get(id) ?? 0) + Math.max(next, 0));
  });
  return times;
}

/** A short module name: node_modules package, node: builtin, project-relative path, or the V8 category. */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName.replace(/[()]/g, '') || 'native'})`;
  const at = url.lastIndexOf('node_modules/');
  if (at !== -1) {
    const [scope = '', name = ''] = url.slice(at + 'node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (url.startsWith('node:')) return url;
  const own = /\/((?:src|bench|web)\/.*)$/.exec(url);
  return own?.[1] ?? url;
}

/** For native frames (no url: parseX509, export, exec…), the nearest caller outside Node's own modules. */
function callerOf(id: number, byId: Map<number, ProfileNode>, parents: Map<number, number>): string {
  let current: number | undefined = id;
  while (current !== undefined) {
    const frame = byId.get(current)?.callFrame;
    if (frame !== undefined && frame.url !== '' && !frame.url.startsWith('node:')) return `${frame.functionName || '(anonymous)'}  ${moduleOf(frame.url, '')}`;
    current = parents.get(current);
  }
  return '(no JavaScript caller)';
}

function top(entries: Map<string, number>, total: number, count: number): string[] {
  return [...entries].sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
}

function main(): void {
  const file = process.argv[2];
  if (file === undefined) { console.error('usage: cpu-top.ts <file.cpuprofile> [--top N]'); process.exit(2); }
  const topIndex = process.argv.indexOf('--top');
  const count = topIndex === -1 ? 30 : Number(process.argv[topIndex + 1]);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const functions = new Map<string, number>();
  const natives = new Map<string, number>();
  const modules = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfTimes(profile)) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    total += us;
    const module = moduleOf(frame.url, frame.functionName);
    const name = `${frame.functionName || '(anonymous)'}  ${module}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    modules.set(module, (modules.get(module) ?? 0) + us);
    if (frame.url === '' && !['(idle)', '(garbage collector)', '(program)', '(root)'].includes(frame.functionName)) {
      const key = `${frame.functionName} <- ${callerOf(id, byId, parents)}`;
      natives.set(key, (natives.get(key) ?? 0) + us);
    }
  }
  if (total === 0) { console.error('no samples in the profile'); process.exit(1); }
  console.log(`total sampled ${(total / 1000).toFixed(0)} ms\n\ntop modules by self time:`);
  console.log(top(modules, total, count).join('\n'));
  console.log('\ntop functions by self time:');
  console.log(top(functions, total, count).join('\n'));
  console.log('\nnative functions by their nearest JavaScript caller:');
  console.log(top(natives, total, count).join('\n'));
}

main();
