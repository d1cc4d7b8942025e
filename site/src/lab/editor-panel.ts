/**
 * <Editor> once opened: Monaco with YAML, holding a live object (`kubectl get -o yaml`) or a node
 * file. Apply sends it back (`kubectl replace`, or the file written on the node) and shows the
 * server's answer inline - an apiserver's validation error reads exactly as kubectl prints it.
 * Imported only when a learner opens an editor: Monaco is by far the heaviest thing on the site.
 */
import 'monaco-editor/editor/contrib/find/browser/findController';
import 'monaco-editor/editor/contrib/folding/browser/folding';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard';
import 'monaco-editor/editor/contrib/comment/browser/comment';
import 'monaco-editor/editor/contrib/indentation/browser/indentation';
import 'monaco-editor/editor/contrib/linesOperations/browser/linesOperations';
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter';
import 'monaco-editor/languages/definitions/yaml/register';
import * as monaco from 'monaco-editor/editor/editor.api';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import type { LabController } from './controller.ts';
import { message } from './controller.ts';
import { pageStrings } from './i18n.ts';
import { KUBERNETES_KEYS } from './kube-keys.ts';

(self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
};

let completionsRegistered = false;
function registerKubernetesCompletions(): void {
  if (completionsRegistered) return;
  completionsRegistered = true;
  // Schema help, light: the field names of the kinds the lessons edit, with what each is for.
  monaco.languages.registerCompletionItemProvider('yaml', {
    provideCompletionItems(model, position) {
      const word = model.getWordUntilPosition(position);
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn: word.startColumn,
        endColumn: word.endColumn,
      };
      return {
        suggestions: KUBERNETES_KEYS.map(([key, doc]) => ({
          label: key,
          kind: monaco.languages.CompletionItemKind.Property,
          insertText: `${key}: `,
          documentation: doc,
          range,
        })),
      };
    },
  });
}

function dark(): boolean {
  return document.documentElement.dataset.theme !== 'light';
}

export async function openEditor(lab: LabController, root: HTMLElement): Promise<void> {
  const t = pageStrings();
  const d = root.dataset;
  const host = root.querySelector<HTMLElement>('.svcl-editor-host')!;
  const result = root.querySelector<HTMLElement>('.svcl-editor-result')!;
  const tools = root.querySelector<HTMLElement>('.svcl-editor-tools')!;
  const isFile = !!d.path;

  const load = async (): Promise<string> =>
    isFile
      ? (await lab.api.readFile(d.node ?? '', d.path ?? '')).content
      : (await lab.api.getObject(d.kind ?? '', d.name ?? '', d.namespace || undefined)).yaml;

  const content = await load();
  registerKubernetesCompletions();
  host.hidden = false;
  tools.hidden = false;
  root.dataset.open = 'true';
  const existing = (root as unknown as { svclEditor?: monaco.editor.IStandaloneCodeEditor }).svclEditor;
  const editor =
    existing ??
    monaco.editor.create(host, {
      value: content,
      language: 'yaml',
      theme: dark() ? 'vs-dark' : 'vs',
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 13,
      tabSize: 2,
      insertSpaces: true,
      ariaLabel: root.querySelector('.svcl-editor-title')?.textContent ?? 'YAML',
    });
  if (existing) editor.setValue(content);
  (root as unknown as { svclEditor?: monaco.editor.IStandaloneCodeEditor }).svclEditor = editor;

  const show = (ok: boolean, text: string) => {
    result.hidden = false;
    result.dataset.ok = String(ok);
    result.setAttribute('role', ok ? 'status' : 'alert');
    result.textContent = text;
  };

  const apply = tools.querySelector<HTMLButtonElement>('[data-action="apply"]')!;
  const reload = tools.querySelector<HTMLButtonElement>('[data-action="reload"]')!;
  const close = tools.querySelector<HTMLButtonElement>('[data-action="close"]')!;
  apply.onclick = async () => {
    apply.disabled = true;
    try {
      const r = isFile
        ? await lab.api.writeFile(d.node ?? '', d.path ?? '', editor.getValue())
        : await lab.api.applyObject(editor.getValue());
      show(r.ok, r.ok ? `${t.applied} ${r.output}` : r.output);
      // A replaced object has a new resourceVersion: load it so the next Apply does not conflict.
      if (r.ok && !isFile) editor.setValue(await load());
    } catch (e) {
      show(false, message(e));
    } finally {
      apply.disabled = false;
    }
  };
  reload.onclick = async () => {
    try {
      editor.setValue(await load());
      result.hidden = true;
    } catch (e) {
      show(false, message(e));
    }
  };
  close.onclick = () => {
    host.hidden = true;
    tools.hidden = true;
    result.hidden = true;
    root.dataset.open = 'false';
  };
  editor.focus();
}
