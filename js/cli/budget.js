// Performance budgets: a JSON file of assertions on the export's `metrics` object.
//
//   {
//     "generations.ttftMs.p95": { "max": 800 },
//     "generations.decodeTokensPerSec.p50": { "min": 15 },
//     "generations.byModel[Llama-3.2-1B-Instruct-q4f16_1-MLC].ttftMs.p95": { "max": 900 }
//   }
//
// A key is a path of property names separated by dots; a name that holds a dot or a bracket is
// written in brackets (`byModel[Llama-3.2-1B-Instruct-q4f16_1-MLC]`), and any name may be. Each
// assertion has `min`, `max` or both (inclusive limits). A path that does not exist in the
// metrics is an error that lists the nearest valid paths; a path whose value is null (no data)
// fails its assertion with "no data".
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';
import { formatNumber } from './format.js';

/**
 * @typedef {{ min: number | null, max: number | null }} Limits
 * @typedef {Record<string, Limits>} Budget
 * @typedef {{ path: string, value: number | null, min: number | null, max: number | null,
 *             pass: boolean, message: string }} Assertion
 */

/**
 * Splits a budget path into property names.
 * @param {string} path
 * @returns {string[]}
 */
export function parsePath(path) {
  if (typeof path !== 'string' || path === '') throw new CliError('a budget path must be a non-empty string');
  /** @type {string[]} */
  const out = [];
  let i = 0;
  let cur = '';
  let afterBracket = false;
  while (i < path.length) {
    const ch = path[i];
    if (ch === '[') {
      const end = path.indexOf(']', i + 1);
      if (end < 0) throw new CliError(`${path}: unbalanced "[" at character ${i + 1}`);
      if (cur !== '') out.push(cur);
      cur = '';
      const name = path.slice(i + 1, end);
      if (name === '') throw new CliError(`${path}: empty brackets at character ${i + 1}`);
      out.push(name);
      i = end + 1;
      afterBracket = true;
      if (i < path.length && path[i] !== '.' && path[i] !== '[') throw new CliError(`${path}: expected "." or "[" after "]" at character ${i + 1}`);
      continue;
    }
    if (ch === ']') throw new CliError(`${path}: unbalanced "]" at character ${i + 1}`);
    if (ch === '.') {
      if (cur === '' && !afterBracket) throw new CliError(`${path}: empty property name at character ${i + 1}`);
      if (cur !== '') out.push(cur);
      cur = '';
      afterBracket = false;
      i += 1;
      if (i === path.length) throw new CliError(`${path}: ends with "."`);
      continue;
    }
    afterBracket = false;
    cur += ch;
    i += 1;
  }
  if (cur !== '') out.push(cur);
  return out;
}

/** Writes property names as a budget path (brackets around names with ".", "[", "]", "<" or ">"). */
export function formatPath(/** @type {string[]} */ names) {
  let s = '';
  for (const n of names) {
    if (/[.[\]<>]/.test(n) || n === '') s += `[${n}]`;
    else s += s === '' ? n : `.${n}`;
  }
  return s;
}

/**
 * Every numeric leaf of `metrics` as a budget path: numbers, and nulls that stand for a number
 * with no data (e.g. a percentile of an empty series). Arrays (recent errors, features) are
 * skipped.
 * @param {unknown} metrics
 * @returns {string[]}
 */
export function numericPaths(metrics) {
  /** @type {string[]} */
  const out = [];
  /** @param {unknown} v @param {string[]} names */
  const walk = (v, names) => {
    if (typeof v === 'number' || (v === null && names.length > 0)) {
      out.push(formatPath(names));
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, child] of Object.entries(v)) walk(child, [...names, k]);
  };
  walk(metrics, []);
  return out;
}

/** Levenshtein distance (two rows). */
function distance(/** @type {string} */ a, /** @type {string} */ b) {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * The valid paths nearest to `path` by edit distance.
 * @param {string} path
 * @param {string[]} valid
 * @param {number} [count]
 */
export function nearestPaths(path, valid, count = 5) {
  return valid
    .map((p) => ({ p, d: distance(path.toLowerCase(), p.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.p.localeCompare(y.p))
    .slice(0, count)
    .map((x) => x.p);
}

/**
 * Checks a parsed budget document; returns it normalized. Throws a CliError naming the key.
 * @param {unknown} doc
 * @param {string} [source] the file name, for messages
 * @returns {Budget}
 */
export function validateBudget(doc, source = 'budget') {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw new CliError(
      `${source}: expected a JSON object of { "<metric path>": { "min"?: number, "max"?: number } }, got ${doc === null ? 'null' : Array.isArray(doc) ? 'an array' : typeof doc}`,
    );
  /** @type {Budget} */
  const out = {};
  const entries = Object.entries(doc);
  if (entries.length === 0) throw new CliError(`${source}: the budget has no assertions`);
  for (const [key, spec] of entries) {
    try {
      parsePath(key);
    } catch (err) {
      throw new CliError(`${source}: "${key}": not a valid path: ${/** @type {Error} */ (err).message}`);
    }
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
      throw new CliError(`${source}: "${key}": expected { "min"?: number, "max"?: number }, got ${JSON.stringify(spec)}`);
    for (const k of Object.keys(spec))
      if (k !== 'min' && k !== 'max') throw new CliError(`${source}: "${key}": unknown field "${k}" (expected "min" and/or "max")`);
    /** @type {Limits} */
    const limits = { min: null, max: null };
    for (const k of /** @type {const} */ (['min', 'max'])) {
      const v = /** @type {any} */ (spec)[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new CliError(`${source}: "${key}": ${k}: expected a finite number, got ${JSON.stringify(v)}`);
      limits[k] = v;
    }
    if (limits.min === null && limits.max === null) throw new CliError(`${source}: "${key}": expected "min" and/or "max"`);
    if (limits.min !== null && limits.max !== null && limits.min > limits.max)
      throw new CliError(`${source}: "${key}": min ${limits.min} is greater than max ${limits.max}`);
    out[key] = limits;
  }
  return out;
}

/**
 * Reads and validates a budget file. Throws a CliError naming the file and the problem.
 * @param {string} file
 * @returns {Promise<Budget>}
 */
export async function loadBudget(file) {
  let text;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`budget ${file}: cannot read: ${/** @type {Error} */ (err).message}`);
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(`budget ${file}: not valid JSON: ${/** @type {Error} */ (err).message}`);
  }
  return validateBudget(doc, `budget ${file}`);
}

/** The export's JSON Schema, shipped with the package; the source of the valid budget paths. */
const SCHEMA_URL = new URL('../../schema/export.schema.json', import.meta.url);

/** @typedef {boolean | Record<string, any>} SchemaNode */

/**
 * The alternatives a schema node stands for, with `$ref`s resolved against the document's `$defs`.
 * @param {any} doc the whole schema
 * @param {SchemaNode} node
 * @returns {SchemaNode[]}
 */
function alternatives(doc, node) {
  if (typeof node !== 'object' || node === null) return [node];
  if (typeof node.$ref === 'string') {
    const m = /^#\/\$defs\/(.+)$/.exec(node.$ref);
    return m && doc.$defs?.[m[1]] !== undefined ? alternatives(doc, doc.$defs[m[1]]) : [true];
  }
  const list = node.anyOf ?? node.oneOf;
  return Array.isArray(list) ? list.flatMap((n) => alternatives(doc, n)) : [node];
}

/** Whether a schema node admits a number (or null, the "no data" of a number). */
function admitsNumber(/** @type {any} */ doc, /** @type {SchemaNode} */ node) {
  return alternatives(doc, node).some((n) => {
    if (n === true) return true;
    if (typeof n !== 'object' || n === null) return false;
    if (n.type === undefined) return n.properties === undefined && n.items === undefined && n.enum === undefined;
    const types = Array.isArray(n.type) ? n.type : [n.type];
    return types.includes('number') || types.includes('integer');
  });
}

/**
 * The schema of the member `name` of an object described by `node`, or null when there is none.
 * A map (`additionalProperties` with a schema, e.g. `byModel`) admits any name its
 * `propertyNames` allow.
 * @param {any} doc
 * @param {SchemaNode} node
 * @param {string} name
 * @returns {SchemaNode | null}
 */
function member(doc, node, name) {
  for (const n of alternatives(doc, node)) {
    if (typeof n !== 'object' || n === null) continue;
    if (n.properties && Object.hasOwn(n.properties, name)) return n.properties[name];
    if (typeof n.additionalProperties === 'object' && n.additionalProperties !== null) {
      const allowed = n.propertyNames?.enum;
      if (!Array.isArray(allowed) || allowed.includes(name)) return n.additionalProperties;
    }
  }
  return null;
}

/**
 * Every numeric path the schema allows, maps written with a placeholder (`byModel[<name>]`),
 * for the suggestions of an error message.
 * @param {any} doc
 * @param {SchemaNode} root
 * @returns {string[]}
 */
function schemaPaths(doc, root) {
  /** @type {string[]} */
  const out = [];
  /** @param {SchemaNode} node @param {string[]} names */
  const walk = (node, names) => {
    if (names.length > 12) return;
    let object = false;
    for (const n of alternatives(doc, node)) {
      if (typeof n !== 'object' || n === null || (n.type !== 'object' && !n.properties)) continue;
      object = true;
      for (const [k, child] of Object.entries(n.properties ?? {})) walk(child, [...names, k]);
      if (typeof n.additionalProperties === 'object' && n.additionalProperties !== null) {
        const allowed = n.propertyNames?.enum;
        if (Array.isArray(allowed)) for (const k of allowed) walk(n.additionalProperties, [...names, k]);
        else walk(n.additionalProperties, [...names, '<name>']);
      }
    }
    if (!object && names.length > 0 && admitsNumber(doc, node)) out.push(formatPath(names));
  };
  walk(root, []);
  return out;
}

/** @type {Promise<any> | null} */
let schemaDoc = null;

/**
 * Checks every path of a budget against the export's JSON Schema, before any run: a path that
 * no export can have (a typo, a field that is not a number) is an error that lists the nearest
 * valid paths. Names under a map (`byModel[...]`, `byType[...]`) depend on the run and are
 * checked after it, by judgeBudget().
 * @param {Budget} budget
 * @param {any} [schema] the export schema (default: the package's schema/export.schema.json)
 */
export async function checkBudgetPaths(budget, schema) {
  if (schema === undefined) {
    schemaDoc ??= readFile(SCHEMA_URL, 'utf8').then((t) => JSON.parse(t));
    schema = await schemaDoc;
  }
  const root = schema.properties?.metrics ?? true;
  /** @type {string[] | null} */
  let valid = null;
  for (const key of Object.keys(budget)) {
    /** @type {SchemaNode | null} */
    let node = root;
    const names = parsePath(key);
    let i = 0;
    for (; i < names.length && node !== null; i++) node = member(schema, node, names[i]);
    if (node !== null && admitsNumber(schema, node)) continue;
    valid ??= schemaPaths(schema, root);
    const why =
      node === null
        ? `"${names[i - 1]}" is not a field of ${i === 1 ? 'the metrics' : `"${formatPath(names.slice(0, i - 1))}"`}`
        : 'names a field that is not a number';
    throw new CliError(`budget path "${key}": ${why}; nearest valid paths:\n  ${nearestPaths(key, valid).join('\n  ')}`);
  }
}

/**
 * A value or a limit as a budget's messages write it (and the ci summary its figures): precise
 * (format.js), null as "null".
 * @param {number | null | undefined} v
 */
export const formatJudged = (v) => formatNumber(v, { precise: true, absent: 'null' });

/**
 * Judges every assertion of `budget` against `metrics` (the export's `metrics` object).
 * Throws a CliError when a path does not exist or does not name a number (listing the nearest
 * valid paths); a null value (no data) fails its assertion instead.
 * @param {Budget} budget
 * @param {unknown} metrics
 * @returns {Assertion[]}
 */
export function judgeBudget(budget, metrics) {
  const normalized = validateBudget(budget);
  /** @type {string[] | null} */
  let valid = null;
  /** @type {Assertion[]} */
  const results = [];
  for (const [path, { min, max }] of Object.entries(normalized)) {
    /** @type {any} */
    let v = metrics;
    let found = true;
    for (const name of parsePath(path)) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.hasOwn(v, name)) v = v[name];
      else {
        found = false;
        break;
      }
    }
    if (!found || !(typeof v === 'number' || v === null)) {
      valid ??= numericPaths(metrics);
      const why = found ? `is not a number (it is ${Array.isArray(v) ? 'an array' : typeof v})` : 'is not in the metrics';
      throw new CliError(`budget path "${path}" ${why}; nearest valid paths:\n  ${nearestPaths(path, valid).join('\n  ')}`);
    }
    const limits = [min !== null ? `min ${formatJudged(min)}` : null, max !== null ? `max ${formatJudged(max)}` : null].filter(Boolean).join(', ');
    if (v === null) {
      results.push({ path, value: null, min, max, pass: false, message: `no data: ${path} is null (${limits})` });
      continue;
    }
    let message;
    let pass = true;
    if (min !== null && v < min) {
      pass = false;
      message = `${path} = ${formatJudged(v)} is below min ${formatJudged(min)}`;
    } else if (max !== null && v > max) {
      pass = false;
      message = `${path} = ${formatJudged(v)} is above max ${formatJudged(max)}`;
    } else message = `${path} = ${formatJudged(v)} is within ${limits}`;
    results.push({ path, value: v, min, max, pass, message });
  }
  return results;
}
