// `anfu bench <name>`: runs bench/<name>.ts and prints its result as JSON.
import { jsonOf } from './with-store.ts';

export async function benchCommand(args: readonly string[]): Promise<number> {
  const name = args[0] ?? '';
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) {
    console.error('usage: anfu bench <name> [options]');
    return 2;
  }
  const module = (await import(`../../bench/${name}.ts`)) as { run(args: string[]): Promise<unknown> };
  const result = await module.run(args.slice(1));
  console.log(jsonOf(result, args.includes('--json') ? 0 : 2));
  return 0;
}
