/** Registers the `netns` driver: labs on real kernel networking, the default for learners. */
import { registerDriver } from '../registry.ts';
import { NetnsDriver } from './driver.ts';

registerDriver('netns', () => new NetnsDriver());

export { NetnsDriver } from './driver.ts';
export { NetnsDriverLab } from './lab.ts';
export {
  environmentSettings,
  MANIFEST_FLANNEL_ARGS,
  type NetnsEnvironmentSettings,
  type NetnsLabSpec,
} from './settings.ts';
