import { doctor } from './doctor.ts';
import type { Command } from './types.ts';

export const commands: Command[] = [doctor];
