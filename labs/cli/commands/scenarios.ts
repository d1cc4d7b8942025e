import { catalogue } from '../../daemon/catalogue.ts';
import { listDrivers } from '../../drivers/registry.ts';
import { boolFlag } from '../args.ts';
import { checkFlags, EXIT_OK, positionals, printJson } from './lab-common.ts';
import type { Command } from './types.ts';

export const scenarios: Command = {
  name: 'scenarios',
  usage: 'scenarios [--json]',
  summary: 'the catalogue: scenarios and the environments they build on',
  async run(args) {
    checkFlags(args, []);
    positionals(args, 0, 0, '');
    const cat = catalogue();
    const drivers = (await listDrivers()).map((d) => d.name);
    if (boolFlag(args, 'json')) {
      printJson({ ...cat, drivers });
      return EXIT_OK;
    }
    const width = Math.max(
      0,
      ...cat.scenarios.map((s) => s.name.length),
      ...cat.environments.map((e) => e.name.length),
    );
    console.log('Scenarios:');
    if (cat.scenarios.length === 0) console.log('  (none yet)');
    for (const s of cat.scenarios)
      console.log(`  ${s.name.padEnd(width)}  ${s.title}${s.environment ? `  [${s.environment}]` : ''}`);
    console.log('\nEnvironments (labctl up <environment> builds one without a fault):');
    for (const e of cat.environments)
      console.log(`  ${e.name.padEnd(width)}  ${e.title}  (seed ${e.seeds.join(', ')})`);
    if (drivers.length) console.log(`\nDrivers: ${drivers.join(', ')}`);
    return EXIT_OK;
  },
};
