#!/usr/bin/env node
// labctl: the svc-labs command line. Runs on the project's own Node (22+); the CLI itself is
// TypeScript, loaded directly through Node's type stripping.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && Number(process.versions.node.split('.')[1]) < 18)) {
  console.error(
    `labctl needs Node 22.18 or newer (this is ${process.version}); run it through npx in the project, or run scripts/setup.sh`,
  );
  process.exit(2);
}
const { main } = await import('../labs/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
