#!/usr/bin/env node
// Serves a folder read-only on 127.0.0.1 until SIGINT/SIGTERM and prints its origin on the first
// line of stdout (for shell scripts: scripts/test.sh serves the built demo with it).
//
//   node scripts/serve-dir.mjs DIR [PORT]      PORT 0 (default): a free port
import { startServer } from './static-server.mjs';

const [root, port = '0'] = process.argv.slice(2);
if (!root || !/^\d+$/.test(port)) {
  console.error('usage: node scripts/serve-dir.mjs DIR [PORT]');
  process.exit(2);
}
const server = await startServer({ root, port: Number(port), index: true });
console.log(server.origin);
await new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await server.close();
