// A small read-only static HTTP server on 127.0.0.1: the demo (scripts/demo.mjs) and the browser
// tests (tests/browser/harness.mjs) serve pages, the package's modules and the wasm with it.
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Starts a static HTTP server on 127.0.0.1 (a random port) serving `root` read-only (GET/HEAD).
 * @param {object} [options]
 * @param {string} options.root the folder to serve
 * @param {number} [options.port] 0 (default) for a free port; a taken port falls back to a free one
 * @param {boolean} [options.index] serve index.html for paths ending in /
 * @param {Record<string, string> | ((pathname: string, url: URL) => Record<string, string> | undefined)} [options.headers]
 *   extra response headers: for every response, or per request (from the decoded path, and the
 *   request's URL for its query; e.g. {@link ISOLATION_HEADERS})
 * @param {string} [options.csp] a Content-Security-Policy header for HTML responses
 * @returns {Promise<{ origin: string, port: number, url(p: string): string, requests: string[], close(): Promise<void> }>}
 */
export async function startServer({ root, headers, csp, port = 0, index = false } = {}) {
  if (typeof root !== 'string') throw new TypeError('startServer: root: expected a folder path');
  const rootDir = path.resolve(root);
  /** @type {string[]} */
  const requests = [];
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      let pathname = decodeURIComponent(url.pathname);
      if (index && pathname.endsWith('/')) pathname += 'index.html';
      requests.push(pathname);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const file = path.resolve(rootDir, `.${pathname}`);
      if (file !== rootDir && !file.startsWith(rootDir + path.sep)) {
        res.writeHead(403).end();
        return;
      }
      let info;
      try {
        info = await stat(file);
      } catch {
        info = null;
      }
      if (info === null || !info.isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${pathname}`);
        return;
      }
      const ext = path.extname(file).toLowerCase();
      /** @type {Record<string, string | number>} */
      const out = {
        'Content-Type': MIME[ext] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-store',
      };
      const extra = typeof headers === 'function' ? headers(pathname, url) : headers;
      if (extra) Object.assign(out, extra);
      if (csp && ext === '.html') out['Content-Security-Policy'] = csp;
      res.writeHead(200, out);
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(file).pipe(res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    }
  });
  const listen = (p) =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(undefined);
      });
    });
  try {
    await listen(port);
  } catch (err) {
    if (port === 0 || (err.code !== 'EADDRINUSE' && err.code !== 'EACCES')) throw err;
    await listen(0);
  }
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : 0;
  const origin = `http://127.0.0.1:${actual}`;
  return {
    origin,
    port: actual,
    url: (p) => new URL(p, origin).href,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}
