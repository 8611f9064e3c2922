// The example company website (examples/website/) served the way a company would serve it, from
// an origin of its own, for the banner scenarios. Its pages name Skydd at `skydd serve`'s
// default address (http://127.0.0.1:8080); here they are rewritten to the server under test.

import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../examples/website/', import.meta.url));
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * Serve the website on `port` (127.0.0.1), with the Skydd address in its pages replaced by
 * `skydd` (an origin such as http://127.0.0.1:PORT); resolves to the server once it listens.
 */
export function serveWebsite(port, skydd) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, 'http://website').pathname;
    const file = normalize(join(ROOT, path === '/' ? 'index.html' : decodeURIComponent(path)));
    const type = TYPES[extname(file)];
    if (!file.startsWith(ROOT) || !type) {
      response.writeHead(404).end();
      return;
    }
    try {
      let body = await readFile(file, 'utf8');
      if (type.startsWith('text/html')) {
        body = body.replaceAll('http://127.0.0.1:8080', skydd);
      }
      response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
