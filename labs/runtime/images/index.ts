/** The image catalog every runtime of a lab uses: all images the seeds and lessons need. */
import { agnhost } from './agnhost.ts';
import { busybox } from './busybox.ts';
import { ImageCatalog } from './catalog.ts';
import { httpd } from './httpd.ts';
import { netshoot } from './netshoot.ts';
import { nginx } from './nginx.ts';
import { pause } from './pause.ts';
import { serveHostname } from './serve-hostname.ts';

export * from './catalog.ts';
export { canonicalName, defaultPullPolicy, parseReference, repositoryOf } from './reference.ts';
export { findBusybox, hostWhich, resolveTool, toolboxPath } from './toolbox.ts';

export const BUILTIN_IMAGES = [busybox, netshoot, httpd, nginx, pause, serveHostname, agnhost];

/** A catalog with every built-in image registered; add lab-specific images with register(). */
export function builtinCatalog(): ImageCatalog {
  const c = new ImageCatalog();
  for (const def of BUILTIN_IMAGES) c.register(def);
  return c;
}
