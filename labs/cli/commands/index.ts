import { check } from './check.ts';
import { doctor } from './doctor.ts';
import { down } from './down.ts';
import { exec } from './exec.ts';
import { gc } from './gc.ts';
import { hint } from './hint.ts';
import { kubeconfig } from './kubeconfig.ts';
import { list } from './list.ts';
import { reboot } from './reboot.ts';
import { reset } from './reset.ts';
import { scenarios } from './scenarios.ts';
import { shell } from './shell.ts';
import { solve } from './solve.ts';
import { status } from './status.ts';
import type { Command } from './types.ts';
import { up } from './up.ts';

export const commands: Command[] = [
  doctor,
  scenarios,
  up,
  list,
  status,
  kubeconfig,
  exec,
  shell,
  reboot,
  check,
  hint,
  solve,
  reset,
  down,
  gc,
];
