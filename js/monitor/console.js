// The console commands (monitor.installConsole()): globalThis.webllmMonitor.printMetrics() and the
// rest, each calling the monitor's method of the same name, and help().

const CONSOLE_COMMANDS = [
  'printMetrics',
  'getMetrics',
  'getStatus',
  'getAllGenerations',
  'getMemorySnapshots',
  'exportMetrics',
  'exportCSV',
  'downloadMetrics',
  'downloadCSV',
  'importMetrics',
  'mergeMetrics',
  'resetMetrics',
];

/** The text help() prints. */
function helpText(name) {
  return [
    `${name}.printMetrics()       tables and the text report`,
    `${name}.getMetrics()         every statistic as an object`,
    `${name}.getStatus()          health, model, loading progress`,
    `${name}.getAllGenerations()  the recent generations`,
    `${name}.downloadMetrics()    the export as a JSON file`,
    `${name}.downloadCSV()        the generations as a CSV file`,
    `${name}.exportMetrics()      the export as JSON text`,
    `${name}.resetMetrics()       forget everything`,
  ].join('\n');
}

/**
 * Puts `monitor`'s commands on globalThis[name]; help() prints to `out`. Returns the function
 * that removes them (only if they are still the ones put there).
 */
export function installCommands(monitor, name, out) {
  const commands = {
    monitor,
    help: () => {
      const text = helpText(name);
      out.log(text);
      return text;
    },
  };
  for (const c of CONSOLE_COMMANDS) commands[c] = (...args) => monitor[c](...args);
  globalThis[name] = commands;
  return () => {
    if (globalThis[name] === commands) delete globalThis[name];
  };
}
