// One description of a JS value for "expected X, got Y" messages, shared by the core's facade
// (js/core.js) and the rest of the package (through js/log.js). No imports: the core's entry
// stays free of the logger and the wrapper.

/**
 * A short description of a value for "expected X, got Y" messages: `string "12"` (cut after 40
 * characters), `number 5`, `null`, `undefined`, `an array of 3`, `a Float64Array`, `a function`,
 * `an object`...
 * @param {unknown} v
 * @returns {string}
 */
export function describeValue(v) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    case 'number':
      return `number ${v}`;
    case 'bigint':
      return `bigint ${v}n`;
    case 'boolean':
      return `boolean ${v}`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (Array.isArray(v)) return `an array of ${v.length}`;
      if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
      if (v instanceof Date) return 'a Date';
      return 'an object';
  }
}
