// The files generated from the `events` of the description (schema/description/events.mjs,
// re-exported by schema/description.mjs; scripts/generate.mjs writes them): the JS encoders of
// the batch records, their declarations, and the core's field tables. One description, so the
// three sides of the batch layout cannot drift apart.

/** A record's header: kind, length in doubles, presence mask. */
const HEADER = 3;

const pascal = (s) => s[0].toUpperCase() + s.slice(1);
const str = (s) => JSON.stringify(s);
/** A JS string literal in single quotes, as the project's JS writes them. */
const sq = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Every event kind, in kind order, with its field prefix ("generation.model"). */
function kinds(d, fail) {
  const list = Object.entries(d.events).map(([key, e]) => ({ key, prefix: e.prefix ?? key, ...e }));
  list.sort((a, b) => a.kind - b.kind);
  list.forEach((e, i) => {
    if (e.kind !== i + 1) fail(`events: kinds must be 1, 2, 3... in order (${e.key} is ${e.kind})`);
    if (e.fields.length > 52) fail(`events.${e.key}: more fields than the presence mask holds`);
    e.fields.forEach((f, j) => {
      const known = ['name', 'text', 'number', 'bool', 'fromCache', 'success', 'errorName', 'gaps'];
      if (!known.includes(f.type) && !f.type.startsWith('enum:')) fail(`events.${e.key}.${f.name}: unknown type "${f.type}"`);
      if (f.type.startsWith('enum:') && !d.enums[f.type.slice(5)]) fail(`events.${e.key}.${f.name}: no enum "${f.type.slice(5)}"`);
      if (f.type === 'errorName' && e.fields[j + 1]?.name !== 'errorMessage') fail(`events.${e.key}.${f.name}: errorMessage must follow errorName`);
      if (f.member !== undefined && f.type !== 'number') fail(`events.${e.key}.${f.name}: only a number has a C++ member`);
      if (f.type === 'gaps' && j !== e.fields.length - 1) fail(`events.${e.key}.${f.name}: the gaps count must be the last field`);
    });
  });
  return list;
}

/** The name of an event kind in C++ and in the JS encoders: GenerationEvent -> Generation. */
const kindName = (e) => (e.ts ? e.ts.replace(/Event$/, '') : pascal(e.key));

// ---------------------------------------------------------------------------------------------
// JS: the encoders

/**
 * The statements that write field `i` of event `e` (its value read from `ev`) into the record
 * whose field 0 is at `o` of the view `v`, adding the field's bit to the presence mask `m`. The
 * common case (a value of the right type) is written here; the writer's methods report the rest.
 */
function encodeField(e, f, i) {
  const field = sq(`${e.prefix}.${f.name}`);
  const bit = 2 ** i;
  const at = i === 0 ? 'o' : `o + ${i}`;
  const read = `x = ev.${f.name};`;
  switch (f.type) {
    case 'number':
      return [read, `if (typeof x === 'number') {`, `  v[${at}] = x;`, `  m += ${bit};`, `} else w.notNumber(x, ${field});`];
    case 'text':
      return f.name === 'errorMessage' ? [] : [`m += w.text(${i}, ev.${f.name}, ${field});`]; // errorMessage: with errorName
    case 'bool':
      return [read, `if (x === true || x === false) {`, `  v[${at}] = x ? 1 : 0;`, `  m += ${bit};`, `} else w.notBool(x, ${field});`];
    case 'fromCache':
      return [`m += w.fromCache(${i}, ev.${f.name}, ${field});`];
    case 'success':
      return [`m += w.success(${i}, ev, ${field});`];
    case 'errorName':
      return [`m += w.errorFields(${i}, ${i + 1}, ev, ${sq(e.prefix)});`];
    case 'gaps':
      return [`m += w.numbers(o, ${i}, ${e.fields.length}, ev.${f.name}, n, ${field});`];
    default: // name, enum:<name>: a name the core checks
      return [read, `if (typeof x === 'string') {`, `  v[${at}] = w.name(x, ${field});`, `  m += ${bit};`, `} else w.notString(x, ${field});`];
  }
}

export function eventsJs(d, { mark, fail }) {
  const list = kinds(d, fail);
  const out = [
    `// ${mark}`,
    '// The batch records of the events (wasm/batch.hpp): their kinds, field counts and limits, and',
    "// one encoder per event that writes it through the batch's writer (js/core/encoder.js).",
    '',
    "/** A record's header, in doubles: kind, length (the whole record's), presence mask. */",
    `export const HEADER = ${HEADER};`,
    '',
    '/** The kind of each record (its first double). */',
    `export const KIND = Object.freeze({ ${list.map((e) => `${e.key}: ${e.kind}`).join(', ')} });`,
    '',
    '/** The fields of each record (after its header of 3: kind, length, presence mask). */',
    `export const FIELD_COUNT = Object.freeze({ ${list.map((e) => `${e.key}: ${e.fields.length}`).join(', ')} });`,
    '',
    '/** The most numbers a record carries after its fields, per kind that has them. */',
    `export const MAX_LIST = Object.freeze({ ${list
      .filter((e) => e.fields.some((f) => f.type === 'gaps'))
      .map((e) => `${e.key}: ${e.fields.find((f) => f.type === 'gaps').limit}`)
      .join(', ')} });`,
  ];
  for (const e of list) {
    if (!e.ts) continue; // written by hand in js/core/encoder.js (recordDurations) or internal
    const gaps = e.fields.find((f) => f.type === 'gaps');
    const body = [];
    body.push(`  if (!w.isEvent(ev, ${sq(e.prefix)})) return;`);
    if (gaps) {
      body.push(`  const n = w.listLength(ev.${gaps.name}, ${sq(`${e.prefix}.${gaps.name}`)}, ${gaps.limit});`);
      body.push('  if (n < 0) return;');
    }
    body.push(`  const o = w.begin(${e.kind}, ${e.fields.length}, ${gaps ? 'n' : 0});`);
    body.push('  const v = w.view;');
    body.push('  let m = 0;');
    if (e.fields.some((f) => ['number', 'bool', 'name'].includes(f.type) || f.type.startsWith('enum:'))) body.push('  let x;');
    e.fields.forEach((f, i) => {
      for (const line of encodeField(e, f, i)) body.push(`  ${line}`);
    });
    body.push('  w.end(m);');
    out.push('', `/** Writes a ${e.ts} (kind ${e.kind}) into the batch. */`, `export function encode${kindName(e)}(w, ev) {`, ...body, '}');
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// TypeScript: the event types

function tsType(d, f) {
  switch (f.type) {
    case 'number':
      return 'number';
    case 'name':
    case 'text':
    case 'errorName':
      return 'string';
    case 'bool':
    case 'success':
      return 'boolean';
    case 'fromCache':
      return "boolean | 'unknown'";
    case 'gaps':
      return 'number[] | Float64Array';
    default:
      return d.enums[f.type.slice(5)].ts;
  }
}

export function eventsDts(d, { mark, fail }) {
  const list = kinds(d, fail).filter((e) => e.ts);
  const enumTypes = [...new Set(list.flatMap((e) => e.fields.filter((f) => f.type.startsWith('enum:')).map((f) => tsType(d, f))))];
  const out = [
    `// ${mark}`,
    '// The events the record*() methods take. `undefined` or `null` means "absent". A value of the',
    '// wrong JS type is never coerced: the event is refused and counted with the field named.',
    '',
    `import type { ${enumTypes.sort().join(', ')} } from './metrics.js';`,
    '',
    '/** An Error (its `name` and `message` are used), or a string such as',
    ' * `"DeviceLostError: WebGPU device was lost"` (the leading name is parsed out). */',
    'export type ErrorLike = Error | { name?: string; message?: string } | string;',
  ];
  for (const e of list) {
    out.push('', `/** ${e.doc} */`, `export interface ${e.ts} {`);
    for (const f of e.fields) {
      let text = f.doc ?? '';
      if (f.unit) text = text === '' ? `In ${f.unit}.` : text.endsWith('.') ? `${text.slice(0, -1)} (${f.unit}).` : `${text} (${f.unit})`;
      const notes = [text, f.required ? 'Required.' : null].filter(Boolean);
      if (notes.length > 0) out.push(`  /** ${notes.join(' ')} */`);
      out.push(f.required ? `  ${f.name}: ${tsType(d, f)};` : `  ${f.name}?: ${tsType(d, f)} | null;`);
      if (f.name === 'errorMessage') {
        out.push('  /** Fills errorName / errorMessage where those are not given. */', '  error?: ErrorLike | null;');
      }
    }
    out.push('}');
  }
  out.push(...eventsJsDeclarations(d, fail));
  return `${out.join('\n')}\n`;
}

/**
 * The declarations of events.js's values (for the package's own type check, tsconfig.checkjs.json,
 * where `../generated/events.js` resolves to this file): not API, core.d.ts re-exports only the
 * event types.
 */
function eventsJsDeclarations(d, fail) {
  const list = kinds(d, fail);
  const gapped = list.filter((e) => e.fields.some((f) => f.type === 'gaps'));
  return [
    '',
    "// ---- The values of events.js, for the package's own type check (not API: core.d.ts re-exports",
    '// only the event types above).',
    '',
    "/** What the encoders call on the batch's writer (js/core/encoder.js's BatchEncoder). The methods that",
    ' * write a field return the bit it adds to the presence mask (0 when it is absent). */',
    'export interface EventWriter {',
    '  readonly view: Float64Array;',
    '  isEvent(e: unknown, name: string): boolean;',
    '  listLength(values: unknown, field: string, limit: number): number;',
    '  begin(kind: number, nfields: number, extra: number): number;',
    '  end(mask: number): void;',
    '  name(s: string, field: string, expected?: string): number;',
    '  notNumber(v: unknown, field: string): void;',
    '  notString(v: unknown, field: string, expected?: string): void;',
    '  notBool(v: unknown, field: string): void;',
    '  text(i: number, v: unknown, field: string): number;',
    '  fromCache(i: number, v: unknown, field: string): number;',
    '  success(i: number, e: any, field: string): number;',
    '  errorFields(nameIndex: number, messageIndex: number, e: any, prefix: string): number;',
    '  numbers(o: number, i: number, nfields: number, values: any, n: number, field: string): number;',
    '}',
    '',
    `export declare const HEADER: ${HEADER};`,
    `export declare const KIND: Readonly<{ ${list.map((e) => `${e.key}: ${e.kind}`).join('; ')} }>;`,
    `export declare const FIELD_COUNT: Readonly<{ ${list.map((e) => `${e.key}: ${e.fields.length}`).join('; ')} }>;`,
    `export declare const MAX_LIST: Readonly<{ ${gapped.map((e) => `${e.key}: ${e.fields.find((f) => f.type === 'gaps').limit}`).join('; ')} }>;`,
    ...list.filter((e) => e.ts).map((e) => `export declare function encode${kindName(e)}(w: EventWriter, ev: unknown): void;`),
  ];
}

// ---------------------------------------------------------------------------------------------
// C++: the field tables

export function eventsHpp(d, { mark, fail }) {
  const list = kinds(d, fail);
  const fieldEnums = list.map(
    (e) =>
      `/// Fields of a ${e.key} record.\nnamespace ${e.key}_field {\nenum : int {\n${e.fields
        .map((f) => `  k${pascal(f.name)},`)
        .join('\n')}\n  kFieldCount\n};\n}  // namespace ${e.key}_field`,
  );
  const tables = list.map(
    (e) =>
      `inline constexpr FieldInfo k${kindName(e)}Fields[] = {\n${e.fields
        .map((f) => `    {${str(`${e.prefix}.${f.name}`)}, ${f.type === 'number'}},`)
        .join('\n')}\n};`,
  );
  // The plain numbers of each kind that has a C++ event (wasm/events.hpp), and the member each
  // goes to: the field's name in snake_case unless the description names it (`member`).
  const snake = (s) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const numbers = list
    .filter((e) => e.ts)
    .map((e) => {
      const rows = e.fields.filter((f) => f.type === 'number').map((f) => `    {${e.key}_field::k${pascal(f.name)}, &Event::${f.member ?? snake(f.name)}},`);
      return `template <class Event>\ninline constexpr NumberField<Event> k${kindName(e)}Numbers[] = {\n${rows.join('\n')}\n};`;
    });
  const limits = list
    .filter((e) => e.fields.some((f) => f.type === 'gaps'))
    .map((e) => `inline constexpr std::size_t kMax${kindName(e)}List = ${e.fields.find((f) => f.type === 'gaps').limit};`);
  return `// ${mark}
// The batch records of the events (wasm/batch.hpp): kinds, fields and their wire names.
#pragma once

#include <cstddef>

namespace wlm::events {

/// The kind of a record (its first double).
enum Kind : int {
${list.map((e) => `  k${kindName(e)} = ${e.kind},`).join('\n')}
};
inline constexpr int kKindCount = ${list.length + 1};  ///< kinds are 1..${list.length}

/// A record's header, in doubles: kind, length (the whole record's), presence mask.
inline constexpr int kHeader = ${HEADER};

${fieldEnums.join('\n\n')}

/// A field's wire name ("generation.model"), and whether it is a plain number: a number marked
/// present must not be NaN (in the C++ event types NaN means "absent").
struct FieldInfo {
  const char* name;
  bool number;
};

${tables.join('\n')}

/// The plain-number fields of a record, each with the member of the record's event that it is
/// read into (NaN when absent). A template over the event type (wasm/events.hpp), so that this
/// header includes none: kGenerationNumbers<GenerationEvent>.
template <class Event>
struct NumberField {
  int field;
  double Event::*member;
};

${numbers.join('\n')}

/// Per kind (index = kind): its fields, and how many there are.
inline constexpr const FieldInfo* kFields[] = {nullptr, ${list.map((e) => `k${kindName(e)}Fields`).join(', ')}};
inline constexpr int kFieldCount[] = {0, ${list.map((e) => e.fields.length).join(', ')}};

/// The most numbers a record carries after its fields.
${limits.join('\n')}

}  // namespace wlm::events
`;
}
