// Errors of the command-line tool. A CliError is a usage or infrastructure problem: the command
// prints its message and exits with `exitCode` (2), never with a stack trace.

export class CliError extends Error {
  /**
   * @param {string} message
   * @param {{ exitCode?: number, cause?: unknown }} [options]
   */
  constructor(message, { exitCode = 2, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
