/**
 * The lab daemon's entry: `node labs/daemon/main.ts [--tcp PORT]` (labctl starts it on demand,
 * detached, with its output appended to `<state>/daemon.log`). State dir from $SVC_LABS_STATE.
 * SIGTERM or SIGINT: destroy every lab, remove the socket, exit 0.
 */
import { fileLogger } from './log.ts';
import { daemonPaths, ensureStateDir } from './paths.ts';
import { DaemonAlreadyRunning, startDaemon } from './server.ts';

function tcpPort(argv: string[]): number | undefined {
  const i = argv.indexOf('--tcp');
  const raw = i >= 0 ? argv[i + 1] : process.env.SVC_LABS_DAEMON_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--tcp needs a port number, not "${raw}"`);
  return port;
}

async function run(): Promise<void> {
  const paths = daemonPaths();
  ensureStateDir(paths);
  const log = fileLogger(paths.log);
  // One lab's bug (a timer throwing in a controller, a rejected promise nobody awaited) must not
  // take every other lab down with the process: log it and keep serving.
  process.on('uncaughtException', (e) => log.error('uncaught exception', e));
  process.on('unhandledRejection', (e) => log.error('unhandled rejection', e));

  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon({ paths, log, tcpPort: tcpPort(process.argv.slice(2)) });
  } catch (e) {
    if (e instanceof DaemonAlreadyRunning) {
      log.info(e.message);
      process.exit(0);
    }
    log.error('daemon failed to start', e);
    console.error(`lab daemon failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  const stop = (signal: string) => {
    log.info(`${signal} received`);
    daemon.close().then(
      () => process.exit(0),
      (e) => {
        log.error('shutdown', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Detached from labctl's terminal: a hangup of that terminal is not ours.
  process.on('SIGHUP', () => {});
}

await run();
