/**
 * The built site (site/dist) as files: directory paths end in index.html, hashed assets under
 * /_astro/ are cached for good, pages are revalidated, and nothing outside the directory is served.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml',
  '.wasm': 'application/wasm',
  // pagefind's index fragments
  '.pf_meta': 'application/octet-stream',
  '.pf_index': 'application/octet-stream',
  '.pf_fragment': 'application/octet-stream',
};

/** The file a URL path names inside `root`, or undefined (missing, or escaping the root). */
export function resolveStatic(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  if (rel.split(/[/\\]/).includes('..')) return undefined;
  const candidates = [join(root, rel)];
  if (decoded.endsWith('/') || rel === '' || rel === '.') candidates[0] = join(root, rel, 'index.html');
  else candidates.push(join(root, rel, 'index.html'), join(root, `${rel}.html`));
  for (const file of candidates) {
    if (!(file === root || file.startsWith(root.endsWith(sep) ? root : root + sep))) continue;
    try {
      if (statSync(file).isFile()) return file;
    } catch {
      /* next candidate */
    }
  }
  return undefined;
}

export function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, pathname: string): void {
  let file = resolveStatic(root, pathname);
  let status = 200;
  // /lessons/x (no slash) should land where relative links work.
  if (file?.endsWith(`${sep}index.html`) && !pathname.endsWith('/') && !pathname.endsWith('.html')) {
    res.writeHead(301, { location: `${pathname}/` });
    res.end();
    return;
  }
  if (!file) {
    file = resolveStatic(root, '/404.html');
    status = 404;
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
  }
  const size = statSync(file).size;
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const immutable = pathname.startsWith('/_astro/');
  res.writeHead(status, {
    'content-type': type,
    'content-length': size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
