// Size and build time of the OTLP request (MonitorCore#otlpJson) for sessions of 20, 1,000 and
// 100,000 generations (tests/js/helpers.mjs feedSession). The first size is measured twice: the
// first pass warms the JIT up.
//
//   node scripts/measure-otlp.mjs
import { gzipSync } from 'node:zlib';
import { MonitorCore } from '../js/core.js';
import { feedSession, LATER } from '../tests/js/helpers.mjs';

const REPS = 20;
for (const [i, n] of [1000, 20, 1000, 100_000].entries()) {
  const core = await MonitorCore.create({ historySize: 100 });
  feedSession(core, { n });
  core.flush();
  let text = '';
  const t0 = performance.now();
  for (let r = 0; r < REPS; r++) text = core.otlpJson({ resource: { 'service.name': 'measure' } }, LATER + 1e9);
  const ms = (performance.now() - t0) / REPS;
  if (i > 0) console.log(`${n} generations: ${text.length} B, ${gzipSync(text).length} B gzip, ${ms.toFixed(2)} ms per request`);
  core.dispose();
}
