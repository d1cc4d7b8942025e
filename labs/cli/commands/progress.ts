/**
 * Build progress as labctl shows it. On a terminal: a step list redrawn in place, ✓ and the
 * step's time when done. Elsewhere (pipes, CI logs): one plain line per finished or failed step.
 */
import type { TimedProgressEvent } from '../../daemon/types.ts';

interface StepView {
  id: string;
  title: string;
  state: TimedProgressEvent['state'];
  startedAt: number;
  ms?: number;
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

export class ProgressView {
  private readonly out: NodeJS.WritableStream;
  private readonly tty: boolean;
  private readonly steps: StepView[] = [];
  private drawn = 0;

  constructor(out: NodeJS.WritableStream, tty: boolean) {
    this.out = out;
    this.tty = tty;
  }

  event(e: TimedProgressEvent): void {
    let step = this.steps.find((s) => s.id === e.step);
    if (!step) {
      step = { id: e.step, title: e.title, state: e.state, startedAt: e.at };
      this.steps.push(step);
    }
    step.title = e.title;
    step.state = e.state;
    if (e.state !== 'running') step.ms = e.at - step.startedAt;
    if (this.tty) this.redraw();
    else if (e.state !== 'running')
      this.out.write(
        `[${e.done}/${e.total}] ${e.title} ${e.state === 'done' ? 'done' : 'FAILED'} (${formatMs(step.ms ?? 0)})\n`,
      );
  }

  private redraw(): void {
    const width = Math.max(...this.steps.map((s) => s.title.length));
    const lines = this.steps.map((s) => {
      const title = s.title.padEnd(width);
      if (s.state === 'done') return `  ${GREEN}✓${RESET} ${title}  ${DIM}${formatMs(s.ms ?? 0)}${RESET}`;
      if (s.state === 'failed') return `  ${RED}✗${RESET} ${title}  ${DIM}${formatMs(s.ms ?? 0)}${RESET}`;
      return `  ${DIM}…${RESET} ${title}`;
    });
    let text = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    for (const line of lines) text += `\x1b[2K${line}\n`;
    this.drawn = lines.length;
    this.out.write(text);
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
