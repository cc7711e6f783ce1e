// Errors of the command-line tool. A CliError is a usage or infrastructure problem: the command
// prints its message and exits with `exitCode` (2), never with a stack trace.

import { parseArgs } from 'node:util';
import { InputError } from './regression.js';

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

/**
 * A subcommand's way out on an error: an InputError is written to stderr (followed by the
 * command's usage when the message starts with the command's name) and gives exit code 2;
 * any other error is thrown on.
 * @param {unknown} err
 * @param {string} command
 * @param {string} usage
 * @param {{ write(s: string): unknown }} stderr
 * @returns {number} 2
 */
export function inputErrorExit(err, command, usage, stderr) {
  if (!(err instanceof InputError)) throw err;
  stderr.write(`webllm-monitor: ${err.message}\n`);
  if (err.message.startsWith(`${command}: `)) stderr.write(`${usage}\n`);
  return 2;
}

/**
 * Parses a subcommand's arguments (positionals allowed, -h/--help added); a parse error becomes
 * an InputError prefixed with the command's name.
 * @template {import('node:util').ParseArgsOptionsConfig} T
 * @param {string} command
 * @param {string[]} argv
 * @param {T} options
 * @returns {ReturnType<typeof parseArgs<{ args: string[], allowPositionals: true, options: T & { help: { type: 'boolean', short: 'h' } } }>>}
 */
export function parseCommand(command, argv, options) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new InputError(`${command}: ${/** @type {Error} */ (err).message}`);
  }
}
