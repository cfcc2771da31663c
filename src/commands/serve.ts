// `anfu serve` and `anfu demo`: the demo registers real customers and a merchant, so it needs the
// whole app, started on a free loopback port and closed again.
import type { Config } from '../config.ts';
import { serve } from '../serve.ts';
import { describeDemo, seedDemo } from './demo.ts';

export async function serveCommand(config: Config, values: Record<string, unknown>): Promise<number> {
  await serve(config, { demo: values.demo === true });
  return -1; // keeps running
}

export async function demoCommand(config: Config): Promise<number> {
  const running = await serve({ ...config, port: 0, host: '127.0.0.1' }, { demo: false, quiet: true });
  try {
    console.log(describeDemo(await seedDemo(running.context)));
  } finally {
    await running.close();
  }
  return 0;
}
