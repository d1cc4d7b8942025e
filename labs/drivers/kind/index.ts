/** Registers the `kind` driver (labs/drivers/registry.ts imports this module on first use). */
import { registerDriver } from '../registry.ts';
import { KindDriver } from './driver.ts';

registerDriver('kind', () => new KindDriver());

export { KindDriver, type PlanRequest } from './driver.ts';
export { KindLab } from './lab.ts';
export { planCreation, renderPlan } from './plan.ts';
