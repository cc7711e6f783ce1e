// `webllm-monitor merge a.json b.json ... -o out.json`: the exact merge of several exports
// (MonitorCore.mergeAll: sketches merge bucket by bucket, so the quantiles are those of one
// monitor fed every input). A corrupt input stops the merge and nothing is written.

import { inputErrorExit, parseCommand } from './errors.js';
import { writeFile, rename } from 'node:fs/promises';
import { MonitorCore } from '../core.js';
import { readExportFile, streams, InputError } from './regression.js';

export const MERGE_USAGE = `usage: webllm-monitor merge <a.json> <b.json> ... [-o out.json]
  -o, --output FILE  where to write the merged export (default: standard output)
exit code: 0 ok, 2 usage or input error (nothing written)`;

/**
 * Runs `merge` with the arguments after the subcommand.
 * @param {string[]} argv
 * @param {{ stdout?: { write(s: string): unknown }, stderr?: { write(s: string): unknown } }} [io]
 * @returns {Promise<number>} 0 ok, 2 usage or input error
 */
export async function runMerge(argv, io) {
  const { stdout, stderr } = streams(io);
  let core;
  try {
    const { values, positionals } = parseCommand('merge', argv, { output: { type: 'string', short: 'o' } });
    if (values.help) {
      stdout.write(`${MERGE_USAGE}\n`);
      return 0;
    }
    if (positionals.length < 1) throw new InputError('merge: expected at least one export file');
    core = await MonitorCore.create();
    const inputs = [];
    for (const file of positionals) inputs.push(await readExportFile(file, core));
    core.reset();
    try {
      core.mergeAll(inputs.map((i) => i.text));
    } catch (err) {
      const n = /** @type {any} */ (err).document;
      const file = Number.isInteger(n) && inputs[n - 1] ? inputs[n - 1].file : positionals.join(', ');
      throw new InputError(`${file}: ${err.message.replace(/^document \d+: /, '')}`);
    }
    // Windows end at the newest input's export time, so the merged file is reproducible.
    const now = Math.max(...inputs.map((i) => i.doc.exportedAtMs ?? 0)) || Date.now();
    const text = `${core.exportJson(now)}\n`;
    if (values.output) {
      const tmp = `${values.output}.tmp-${process.pid}`;
      try {
        await writeFile(tmp, text);
        await rename(tmp, values.output);
      } catch (err) {
        throw new InputError(`${values.output}: cannot write the file: ${err.message}`);
      }
      stderr.write(`merged ${inputs.length} export${inputs.length > 1 ? 's' : ''} into ${values.output}\n`);
    } else {
      stdout.write(text);
    }
    return 0;
  } catch (err) {
    return inputErrorExit(err, 'merge', MERGE_USAGE, stderr);
  } finally {
    core?.dispose();
  }
}
