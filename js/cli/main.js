// The webllm-monitor command: `webllm-monitor <command> [options]`. The executable is bin.js;
// this module only dispatches, so importing it runs nothing.
//
//   ci        run a page in headless Chromium, judge a budget and a baseline (js/cli/ci.js)
//   compare   compare two exports for regressions (js/cli/compare.js)
//   merge     merge exports into one (js/cli/merge.js)
//   report    print the text report of an export (js/cli/report.js)
//   otlp      send an export to an OpenTelemetry receiver (js/cli/otlp.js)
//
// Exit status: 0 success, 1 a check failed, 2 usage or infrastructure error.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = `usage: webllm-monitor <command> [options]

commands:
  ci        open a page in headless Chromium, run a workload, collect the monitor's export,
            judge a performance budget and a baseline; writes metrics.json, report.md, junit.xml
  compare   compare an export with a baseline export for regressions
  merge     merge several exports into one
  report    print the text report of an export
  otlp      send an export to an OpenTelemetry Collector (OTLP/HTTP JSON)

webllm-monitor <command> --help shows a command's options.
exit status: 0 success; 1 a budget, regression or comparison failed; 2 usage or infrastructure error.`;

/** Commands of the other modules: file and exported function. */
const MODULES = {
  compare: ['./compare.js', 'runCompare'],
  merge: ['./merge.js', 'runMerge'],
  report: ['./report.js', 'runReport'],
  otlp: ['./otlp.js', 'runOtlp'],
};

/**
 * @param {string[]} argv the arguments after the program name
 * @returns {Promise<number>} the exit code
 */
export async function main(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  if (cmd === 'ci') {
    const { runCi } = await import('./ci.js');
    return runCi(rest);
  }
  if (Object.hasOwn(MODULES, cmd)) {
    const [file, fn] = MODULES[/** @type {keyof typeof MODULES} */ (cmd)];
    let mod;
    try {
      mod = await import(file);
    } catch (err) {
      const e = /** @type {any} */ (err);
      if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(path.basename(file))) {
        process.stderr.write(`webllm-monitor ${cmd}: not available in this installation (js/cli/${path.basename(file)} is missing)\n`);
        return 2;
      }
      throw err;
    }
    if (typeof mod[fn] !== 'function') {
      process.stderr.write(`webllm-monitor ${cmd}: not available (js/cli/${path.basename(file)} has no ${fn}())\n`);
      return 2;
    }
    return mod[fn](rest);
  }
  process.stderr.write(`webllm-monitor: unknown command "${cmd}"\n\n${USAGE}\n`);
  return 2;
}
