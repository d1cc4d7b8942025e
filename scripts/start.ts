/**
 * `npm start`: build the lesson site if its sources changed, make sure the lab daemon runs, and
 * serve the site, the lab API and the terminals on http://127.0.0.1:$PORT (default 4321).
 *
 * Options: --no-build (serve site/dist as it is), --host H (default 127.0.0.1).
 * Environment: PORT, SVC_LABS_STATE (state directory), SVC_LABS_DRIVER (driver order, e.g. "process").
 * Labs keep running in the daemon when this server stops; `npx labctl down --all` ends them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDaemon } from '../labs/daemon/client.ts';
import { DIST_DIR, ensureSiteBuilt } from '../labs/web/build.ts';
import { startWebServer } from '../labs/web/server.ts';

function flag(name: string): boolean {
  return process.argv.includes(name);
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const port = Number(process.env.PORT ?? 4321);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a port number, not "${process.env.PORT}"`);
    return 2;
  }
  if (!flag('--no-build')) {
    const t = await ensureSiteBuilt();
    console.log(t.built ? `built the site in ${(t.ms / 1000).toFixed(1)} s` : 'the site is up to date');
  } else if (!existsSync(join(DIST_DIR, 'index.html'))) {
    console.error('site/dist has no build; run without --no-build');
    return 2;
  }
  const client = await ensureDaemon();
  const web = await startWebServer({
    client,
    siteDir: DIST_DIR,
    sessionsFile: join(client.paths.state, 'web', 'sessions.json'),
    host: option('--host') ?? '127.0.0.1',
    port,
    log: (line) => console.error(line),
  });
  console.log(`svc-labs is serving on ${web.url}/`);
  console.log(`lab daemon: ${client.paths.socket}`);
  const stop = () => {
    void web.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return await new Promise<number>(() => {});
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
