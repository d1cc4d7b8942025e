/**
 * The <Terminal> once a lab is ready: a tab per node, each an xterm.js terminal on its own
 * WebSocket (shell-socket.ts). Loaded with a dynamic import, so xterm's code and styles reach the
 * browser only when a lab runs.
 *
 * Copy and paste: Ctrl+Shift+C / Ctrl+Shift+V (Cmd+C / Cmd+V on macOS), the toolbar buttons, or
 * the browser's own paste. Resizing follows the element's size.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { LabController, TerminalApi } from './controller.ts';
import { pageStrings } from './i18n.ts';
import { ShellSocket, type SocketStatus } from './shell-socket.ts';
import { terminalId } from './store.ts';

interface Tab {
  node: string;
  button: HTMLButtonElement;
  panel: HTMLElement;
  term?: Terminal;
  fit?: FitAddon;
  socket?: ShellSocket;
  observer?: ResizeObserver;
  termId: string;
}

function themeColors(): {
  background: string;
  foreground: string;
  cursor: string;
  selectionBackground: string;
} {
  return { background: '#0f1419', foreground: '#e6e1cf', cursor: '#f29718', selectionBackground: '#33415e' };
}

export function mountTerminals(lab: LabController): TerminalApi {
  const t = pageStrings();
  const roots = [...document.querySelectorAll<HTMLElement>('[data-svcl-terminal]')];
  const status = lab.lab;
  if (!status) throw new Error('the lab is not ready');
  const root = roots[0];
  const tabs: Tab[] = [];
  if (!root) return { run: () => {}, dispose: () => {} };

  const preferred = (root.dataset.nodes ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const nodes = status.nodes
    .map((n) => n.name)
    .filter((n) => preferred.length === 0 || preferred.includes(n));
  const controlPlane = status.nodes.find((n) => n.role === 'control-plane')?.name ?? nodes[0];

  root.classList.add('is-live');
  const tablist = root.querySelector<HTMLElement>('[role="tablist"]')!;
  const body = root.querySelector<HTMLElement>('.svcl-terminal-body')!;
  const statusLine = root.querySelector<HTMLElement>('.svcl-terminal-status')!;
  const toolbar = root.querySelector<HTMLElement>('.svcl-terminal-tools')!;
  tablist.replaceChildren();
  body.replaceChildren();
  toolbar.hidden = false;

  let active: Tab | undefined;

  const showStatus = (tab: Tab, s: SocketStatus, detail?: string) => {
    if (tab !== active) return;
    const words: Record<SocketStatus, string> = {
      connecting: t.terminalConnecting,
      open: '',
      reconnecting: t.terminalReconnecting,
      exited: t.terminalExited,
      'taken-over': t.terminalTakenOver,
      refused: detail ?? 'refused',
    };
    statusLine.textContent = words[s];
    statusLine.dataset.status = s;
    root.dataset.status = s;
    // How many times a socket opened: lets a test (or a curious learner) see a reconnect happened.
    if (s === 'open') root.dataset.connects = String(Number(root.dataset.connects ?? 0) + 1);
  };

  const connect = (tab: Tab, fresh = false) => {
    if (fresh) tab.termId = terminalId(lab.config.lesson, status.name, tab.node, true);
    tab.socket?.dispose();
    const term = tab.term!;
    tab.socket = new ShellSocket({
      url: () =>
        lab.api.shellUrl({
          node: tab.node,
          term: tab.termId,
          cols: String(term.cols),
          rows: String(term.rows),
        }),
      onOutput: (data) => term.write(data),
      onStatus: (s, d) => {
        showStatus(tab, s, d);
        if (s === 'exited') term.write(`\r\n\x1b[2m[${t.terminalExited}]\x1b[0m\r\n`);
      },
      onAttached: (resumed) => {
        if (resumed) term.reset();
      },
    });
  };

  const open = (tab: Tab) => {
    if (tab.term) return;
    const term = new Terminal({
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      cursorBlink: true,
      scrollback: 5000,
      convertEol: false,
      theme: themeColors(),
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(tab.panel);
    tab.term = term;
    tab.fit = fit;
    try {
      fit.fit();
    } catch {
      /* not laid out yet */
    }
    term.attachCustomKeyEventHandler((ev) => {
      if (ev.type !== 'keydown') return true;
      const mac = navigator.platform.startsWith('Mac');
      const copy = mac
        ? ev.metaKey && ev.key === 'c'
        : ev.ctrlKey && ev.shiftKey && ev.key.toLowerCase() === 'c';
      const paste = mac
        ? ev.metaKey && ev.key === 'v'
        : ev.ctrlKey && ev.shiftKey && ev.key.toLowerCase() === 'v';
      if (copy && term.hasSelection()) {
        void navigator.clipboard?.writeText(term.getSelection());
        return false;
      }
      // Let the browser's paste event reach xterm (it handles bracketed paste).
      if (paste) return false;
      return true;
    });
    term.onData((d) => {
      if (tab.socket?.status === 'exited') {
        if (d === '\r') connect(tab, true);
        return;
      }
      tab.socket?.send(d);
    });
    term.onResize(({ cols, rows }) => tab.socket?.resize(cols, rows));
    tab.observer = new ResizeObserver(() => {
      if (tab === active) {
        try {
          fit.fit();
        } catch {
          /* hidden */
        }
      }
    });
    tab.observer.observe(tab.panel);
    connect(tab);
  };

  const select = (tab: Tab, focus = false) => {
    active = tab;
    for (const x of tabs) {
      const on = x === tab;
      x.button.setAttribute('aria-selected', String(on));
      x.button.tabIndex = on ? 0 : -1;
      x.panel.hidden = !on;
    }
    open(tab);
    try {
      tab.fit?.fit();
    } catch {
      /* not laid out */
    }
    if (tab.socket) showStatus(tab, tab.socket.status);
    if (focus) tab.term?.focus();
  };

  for (const node of nodes) {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('role', 'tab');
    button.id = `svcl-tab-${node}`;
    button.textContent = node;
    button.dataset.node = node;
    const panel = document.createElement('div');
    panel.className = 'svcl-terminal-screen';
    panel.setAttribute('role', 'tabpanel');
    panel.setAttribute('aria-labelledby', button.id);
    panel.setAttribute('aria-label', `${t.terminal} ${node}`);
    panel.dataset.node = node;
    panel.hidden = true;
    const tab: Tab = { node, button, panel, termId: terminalId(lab.config.lesson, status.name, node) };
    button.addEventListener('click', () => select(tab, true));
    button.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(tab);
      if (ev.key === 'ArrowRight') select(tabs[(i + 1) % tabs.length], true);
      if (ev.key === 'ArrowLeft') select(tabs[(i - 1 + tabs.length) % tabs.length], true);
    });
    tablist.append(button);
    body.append(panel);
    tabs.push(tab);
  }

  toolbar.querySelector<HTMLButtonElement>('[data-action="copy"]')!.onclick = () => {
    const sel = active?.term?.getSelection();
    if (sel) void navigator.clipboard?.writeText(sel);
  };
  toolbar.querySelector<HTMLButtonElement>('[data-action="paste"]')!.onclick = async () => {
    const text = await navigator.clipboard?.readText().catch(() => '');
    if (text) active?.term?.paste(text);
    active?.term?.focus();
  };

  const first = tabs.find((x) => x.node === controlPlane) ?? tabs[0];
  if (first) select(first);

  return {
    run(command, opts = {}) {
      const tab = (opts.node && tabs.find((x) => x.node === opts.node)) || active || first;
      if (!tab) return;
      if (tab !== active) select(tab);
      tab.socket?.send(command + (opts.enter === false ? '' : '\r'));
      root.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
      tab.term?.focus();
    },
    dispose() {
      for (const tab of tabs) {
        tab.socket?.dispose();
        tab.observer?.disconnect();
        tab.term?.dispose();
      }
      root.classList.remove('is-live');
      tablist.replaceChildren();
      const p = document.createElement('p');
      p.className = 'svcl-placeholder';
      p.textContent = t.terminalWaiting;
      body.replaceChildren(p);
      toolbar.hidden = true;
      statusLine.textContent = '';
    },
  };
}
