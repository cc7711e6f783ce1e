// The fenced code blocks of README.md, for the tests that compile or run each one
// (tests/js/readme.test.mjs, tests/browser/package.test.mjs). A block's info string is its
// language and, optionally, one word saying how it is tested beyond its language's check:
//
//   ```js run       run in Node (it imports the package by name)
//   ```sh ci        the `webllm-monitor ci` command: run from the packed tarball, in a scratch app
//   ```js workload  the workload that command names (written to the file it names)
//   ```json budget  the budget that command names
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The languages a README block may be in; each is checked by tests/js/readme.test.mjs. */
export const LANGUAGES = Object.freeze(['ts', 'tsx', 'js', 'json', 'sh']);

/**
 * @typedef {{ index: number, line: number, lang: string, tag: string | null, code: string, heading: string }} Block
 * @param {string} [file]
 * @returns {Block[]}
 */
export function readmeBlocks(file = README) {
  const lines = readFileSync(file, 'utf8').split('\n');
  /** @type {Block[]} */
  const blocks = [];
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6} (.*)$/.exec(lines[i]);
    if (h) heading = h[1];
    const open = /^```(\S*)(?: +(\S+))?\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]);
    if (i === lines.length) throw new Error(`README.md:${start + 1}: a code block that is never closed`);
    blocks.push({ index: blocks.length, line: start + 1, lang: open[1], tag: open[2] ?? null, code: `${body.join('\n')}\n`, heading });
  }
  return blocks;
}

/** The one block with this language and tag. */
export function readmeBlock(/** @type {string} */ lang, /** @type {string} */ tag) {
  const found = readmeBlocks().filter((b) => b.lang === lang && b.tag === tag);
  if (found.length !== 1) throw new Error(`README.md has ${found.length} \`\`\`${lang} ${tag} blocks, expected 1`);
  return found[0];
}

/**
 * The commands of a shell block: continuation lines joined, comments and blank lines dropped.
 * @param {string} code
 * @returns {string[]}
 */
export function shellCommands(code) {
  return code
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean);
}
