// A Vite plugin: CSS that the terminal (xterm) and the editor (Monaco) import becomes a <style> the
// module adds when it runs, instead of a stylesheet Astro links from every page. So a lesson page
// carries none of their CSS until a lab starts or an editor opens. url() references (Monaco's
// codicon font) become emitted assets.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const PREFIX = '\0svcl-runtime-css:';
const OWNERS = ['/node_modules/monaco-editor/', '/node_modules/@xterm/'];

export function runtimeCss() {
  return {
    name: 'svcl-runtime-css',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (!source.endsWith('.css') || !importer) return null;
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      if (!resolved || !OWNERS.some((o) => resolved.id.includes(o))) return null;
      // The .js suffix keeps Vite's own CSS pipeline away from it.
      return `${PREFIX}${resolved.id}.js`;
    },
    load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const file = id.slice(PREFIX.length, -3);
      let css = readFileSync(file, 'utf8');
      const imports = [];
      css = css.replace(/url\((['"]?)([^'")]+)\1\)/g, (whole, _q, ref) => {
        if (/^(data:|https?:|#)/.test(ref)) return whole;
        const name = `__asset${imports.length}`;
        imports.push(
          `import ${name} from ${JSON.stringify(`${resolve(dirname(file), ref.split(/[?#]/)[0])}?url`)};`,
        );
        return `url("\${${name}}")`;
      });
      return `${imports.join('\n')}
const css = \`${css
        .replace(/\\/g, '\\\\')
        .replace(/`/g, '\\`')
        .replace(/\$\{(?!__asset)/g, '\\${')}\`;
if (typeof document !== 'undefined') {
  const style = document.createElement('style');
  style.dataset.svclCss = ${JSON.stringify(file.split('/node_modules/')[1] ?? file)};
  style.textContent = css;
  document.head.appendChild(style);
}
export default css;
`;
    },
  };
}
