/** Registers the `process` driver (hidden from learners' help: it has no networking). */
import { registerDriver } from '../registry.ts';
import { ProcessDriver } from './driver.ts';

registerDriver('process', () => new ProcessDriver(), { hidden: true });

export { ProcessDriver } from './driver.ts';
export { ProcessLab } from './lab.ts';
