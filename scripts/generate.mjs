// Writes the files generated from schema/description.mjs (npm run generate; the events' files
// come from scripts/generate-events.mjs):
//   node scripts/generate.mjs                 writes them into the repository
//   node scripts/generate.mjs --out DIR       writes them under DIR (same relative paths)
//   node scripts/generate.mjs --check [DIR]   exits 1 naming each file under DIR (default: the
//                                             repository) that differs from what it would write
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as d from '../schema/description.mjs';
import { eventsDts, eventsHpp, eventsJs } from './generate-events.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = 'schema/description.mjs';
const MARK = `Generated from ${SOURCE} by scripts/generate.mjs (npm run generate): do not edit.`;

const fail = (message) => {
  throw new Error(`${SOURCE}: ${message}`);
};
const defOf = (name) => d.defs[name] ?? fail(`no part named "${name}" in defs`);
const enumOf = (name) => d.enums[name] ?? fail(`no enum named "${name}"`);
const mapValues = (o, f) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v, k)]));

// ---------------------------------------------------------------------------------------------
// JSON Schema

function objectSchema(props) {
  return { type: 'object', required: Object.keys(props), additionalProperties: false, properties: mapValues(props, schemaOf) };
}

function baseStruct(name) {
  const base = defOf(name);
  if (base.kind !== 'struct') fail(`extend("${name}"): not a struct`);
  return base.props;
}

/** The JSON Schema of a node of the description. */
function schemaOf(n) {
  const doc = n.doc === undefined ? {} : { description: n.doc };
  switch (n.kind) {
    case 'raw':
      return n.schema === true ? true : { ...doc, ...n.schema };
    case 'ref':
      defOf(n.name);
      return { ...doc, $ref: `#/$defs/${n.name}` };
    case 'orNull':
      return { ...doc, anyOf: [schemaOf(n.of), { type: 'null' }] };
    case 'struct':
      return { ...doc, ...objectSchema(n.props), ...(n.schemaExtra ?? {}) };
    case 'extend':
      return { ...doc, ...objectSchema({ ...baseStruct(n.base), ...n.props }) };
    case 'map':
      return {
        ...doc,
        type: 'object',
        additionalProperties: schemaOf(n.of),
        ...(n.keys ? { propertyNames: { enum: [...enumOf(n.keys).values] } } : {}),
      };
    case 'array':
      return {
        ...doc,
        type: 'array',
        items: schemaOf(n.of),
        ...(n.minItems === undefined ? {} : { minItems: n.minItems }),
        ...(n.maxItems === undefined ? {} : { maxItems: n.maxItems }),
      };
    case 'enum':
      return { ...doc, enum: [...enumOf(n.name).values] };
    case 'oneOf':
      return { ...doc, enum: [...n.values] };
    case 'const':
      return { ...doc, const: n.value };
    case 'counts':
      return { ...doc, ...objectSchema(Object.fromEntries(enumOf(n.name).values.map((v) => [v, d.t.ref('count')]))) };
    default:
      return fail(`unknown node kind "${n.kind}"`);
  }
}

function exportSchema() {
  const shape = schemaOf(d.document.shape);
  return {
    $comment: MARK,
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: d.document.id,
    title: d.document.title,
    ...shape,
    $defs: mapValues(d.defs, schemaOf),
  };
}

// ---------------------------------------------------------------------------------------------
// TypeScript declarations of the metrics, the status and the document (the state is opaque)

function typescript() {
  const decls = new Map(); // name -> text, in the order first met
  const literal = (v) => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(v));
  const key = (k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : literal(k));
  const comment = (text, pad) => (text ? `${pad}/** ${text} */\n` : '');
  const union = (values) => values.map(literal).join(' | ');
  const needsParens = (ts) => / \| | & /.test(ts) && !/^\{[\s\S]*\}$/.test(ts);

  const members = (props, pad) =>
    Object.entries(props)
      .map(([k, n]) => `${comment(n.tsDoc ?? n.doc, pad)}${pad}${key(k)}: ${tsOf(n, pad)};`)
      .join('\n');
  const inline = (props, pad) => `{\n${members(props, `${pad}  `)}\n${pad}}`;

  function declare(name, doc, body) {
    if (decls.has(name)) return name;
    decls.set(name, null); // met: a reference to it while rendering it stays a name
    decls.set(name, `${comment(doc, '')}${body()}`);
    return name;
  }
  const enumType = (name) => {
    const e = enumOf(name);
    return e.ts ? declare(e.ts, null, () => `export type ${e.ts} = ${union(e.values)};`) : union(e.values);
  };
  const named = (n, body) =>
    declare(n.tsName, n.tsDoc ?? n.doc, () =>
      n.kind === 'struct' ? `export interface ${n.tsName} ${inline(n.props, '')}` : `export type ${n.tsName} = ${body('')};`,
    );

  /** The TypeScript type of a node, written at indentation `pad`. */
  function tsOf(n, pad, asDeclaration = false) {
    if (n.kind !== 'raw' && n.ts !== undefined) return n.ts;
    if (n.tsName && !asDeclaration) return named(n, (p) => tsOf(n, p, true));
    switch (n.kind) {
      case 'raw':
        return n.ts ?? fail(`a declaration reaches ${JSON.stringify(n.schema)}, which has no ts type`);
      case 'ref': {
        const def = defOf(n.name);
        return tsOf(def, pad);
      }
      case 'orNull': {
        const of = tsOf(n.of, pad);
        return `${needsParens(of) ? `(${of})` : of} | null`;
      }
      case 'struct':
        return inline(n.props, pad);
      case 'extend':
        return `${tsOf(d.t.ref(n.base), pad)} & ${inline(n.props, pad)}`;
      case 'map': {
        const of = tsOf(n.of, pad);
        return n.keys ? `Partial<Record<${enumType(n.keys)}, ${of}>>` : `Record<string, ${of}>`;
      }
      case 'array': {
        const of = tsOf(n.of, pad);
        return `${needsParens(of) ? `(${of})` : of}[]`;
      }
      case 'enum':
        return enumType(n.name);
      case 'oneOf':
        return union(n.values);
      case 'const':
        return literal(n.value);
      case 'counts':
        return `Record<${enumType(n.name)}, number>`;
      default:
        return fail(`unknown node kind "${n.kind}"`);
    }
  }

  for (const e of Object.keys(d.enums)) if (d.enums[e].ts) enumType(e);
  for (const def of Object.values(d.defs)) if (def.tsName) tsOf(def, '');
  for (const n of Object.values(d.document.shape.props)) if (n.tsName) tsOf(n, '');
  tsOf(d.document.shape, '');
  return [
    `// ${MARK}`,
    '// The metrics, status and export document types; schema/export.schema.json is the exact contract.',
    '// Durations are milliseconds, timestamps epoch milliseconds, sizes bytes, rates fractions 0..1.',
    '',
    `/** Version of the export document this build writes and reads. */`,
    `export type SchemaVersion = ${d.schemaVersion};`,
    '',
    [...decls.values()].join('\n\n'),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The JS module: plain data for the package, the panel and the CLI (browsers, bundlers, Node)

function javascript() {
  const lines = (name, doc, items) => `/** ${doc} */\nexport const ${name} = freeze([\n${items.map((x) => `  ${JSON.stringify(x)},`).join('\n')}\n]);\n`;
  const record = d.defs.generationRecord;
  return [
    `// ${MARK}`,
    '',
    'const freeze = (v) => {',
    "  if (v && typeof v === 'object') for (const x of Object.values(v)) freeze(x);",
    '  return Object.freeze(v);',
    '};',
    '',
    `/** Version of the export document this build writes and reads (\`schemaVersion\` in exports). */`,
    `export const schemaVersion = ${d.schemaVersion};`,
    '',
    `/** Units of series values, each with the unit of its histogram's buckets (an OpenTelemetry/UCUM unit). */`,
    `export const UNITS = freeze(${JSON.stringify(mapValues(d.units, (u) => ({ bucketUnit: u.bucketUnit })))});`,
    '',
    lines(
      'SERIES',
      "Every series: name, where it is ('generation', 'load', 'operation', 'genAi'), unit, worse ('higher' or 'lower'), label (text report), short (console table), title (panel).",
      d.series,
    ),
    `/** Where series are kept: the object holding them in \`metrics\` (null: not in the metrics) and in \`sketches\`. */`,
    `export const PLACES = freeze(${JSON.stringify(d.places)});`,
    '',
    `/** The series of one place, in order. */`,
    'export const seriesIn = (where) => SERIES.filter((s) => s.in === where);',
    '',
    lines('GENERATION_RECORD_FIELDS', "The fields of a generation record (the export's `generations` history), in order.", Object.keys(record.props)),
    lines('WINDOWS', 'The sliding windows of metrics.windows.', d.windows),
    lines('HEALTH_CHECKS', 'The health checks: the metric watched, its threshold in the config, which way is bad.', d.healthChecks),
    `/** Named value sets of the document. */`,
    `export const ENUMS = freeze(${JSON.stringify(mapValues(d.enums, (e) => e.values))});`,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The C++ header: constexpr data for the core

function cpp() {
  const str = (s) => JSON.stringify(s);
  const where = { generation: 'generation', load: 'load', operation: 'operation', genAi: 'gen_ai' };
  const rows = d.series.map(
    (s) =>
      `    {${str(s.name)}, Where::${where[s.in] ?? fail(`series ${s.name}: unknown place "${s.in}"`)}, ${str(s.unit)}, ` +
      `${str((d.units[s.unit] ?? fail(`series ${s.name}: unknown unit "${s.unit}"`)).bucketUnit)}, Worse::${s.worse}, ${str(s.label)}, ${s.clustered === true}},`,
  );
  const list = (items) => items.map((x) => `    ${str(x)},`).join('\n');
  return `// ${MARK}
// The export document's schema version, the series table and the health checks, for the core.
#pragma once

#include <cstddef>
#include <string_view>

namespace wlm::description {

/// Version of the export document (\`schemaVersion\`).
inline constexpr int kSchemaVersion = ${d.schemaVersion};

/// Where a series is kept: a generation series (metrics.generations.<name>, every window and
/// group, sketches.generations.series.<name>), a load series, an operation series, or one of the
/// entries behind the OpenTelemetry GenAI metrics (sketches.genAi[i].<name>).
enum class Where : unsigned char { generation, load, operation, gen_ai };
/// The direction of a regression.
enum class Worse : unsigned char { higher, lower };

struct SeriesInfo {
  std::string_view name;         ///< key in the metrics and the state
  Where where;
  std::string_view unit;         ///< unit of the values: "ms", "tokens", "tokens/s"
  std::string_view bucket_unit;  ///< unit of the histogram's buckets (OpenTelemetry/UCUM)
  Worse worse;
  std::string_view label;        ///< lower case, for the text report
  bool clustered;                ///< several values per generation (not independent)
};

inline constexpr SeriesInfo kSeries[] = {
${rows.join('\n')}
};
inline constexpr std::size_t kSeriesCount = sizeof(kSeries) / sizeof(kSeries[0]);

/// The fields of a generation record (the export's \`generations\` history), in order.
inline constexpr std::string_view kGenerationRecordFields[] = {
${list(Object.keys(d.defs.generationRecord.props))}
};

/// The sliding windows of metrics.windows.
inline constexpr std::string_view kWindows[] = {
${list(d.windows)}
};

/// A health check (metrics.health): the metric it watches, its threshold's key in the
/// configuration, which way is bad, the words of its reasons (label, and the unit written after
/// a value) and its default thresholds.
struct HealthCheck {
  std::string_view metric;
  std::string_view threshold;
  Worse worse;
  std::string_view label;
  std::string_view unit;
  double warning;
  double critical;
};

inline constexpr HealthCheck kHealthChecks[] = {
${d.healthChecks
  .map((c) => `    {${str(c.metric)}, ${str(c.threshold)}, Worse::${c.worse}, ${str(c.label)}, ${str(c.unit)}, ${c.warning}, ${c.critical}},`)
  .join('\n')}
};
inline constexpr std::size_t kHealthCheckCount = sizeof(kHealthChecks) / sizeof(kHealthChecks[0]);
/// The thresholds' keys, for a message.
inline constexpr std::string_view kThresholdKeys = ${str(d.healthChecks.map((c) => c.threshold).join(', '))};

}  // namespace wlm::description
`;
}

// ---------------------------------------------------------------------------------------------

/** Every generated file: its path in the repository and its text. */
export function generate() {
  return {
    'schema/export.schema.json': `${JSON.stringify(exportSchema(), null, 2)}\n`,
    'js/generated/description.js': javascript(),
    'js/generated/metrics.d.ts': typescript(),
    'wasm/generated/description.hpp': cpp(),
    'js/generated/events.js': eventsJs(d, { mark: MARK, fail }),
    'js/generated/events.d.ts': eventsDts(d, { mark: MARK, fail }),
    'wasm/generated/events.hpp': eventsHpp(d, { mark: MARK, fail }),
  };
}

/** The generated files whose text under `dir` differs from what generate() writes. */
export function stale(dir = root) {
  return Object.entries(generate())
    .filter(([rel, text]) => {
      try {
        return readFileSync(path.join(dir, rel), 'utf8') !== text;
      } catch {
        return true;
      }
    })
    .map(([rel]) => rel);
}

function main(args) {
  if (args[0] === '--check') {
    const dir = path.resolve(args[1] ?? root);
    const files = stale(dir);
    for (const f of files) console.error(`${path.join(dir, f)} differs from what ${SOURCE} generates: run npm run generate`);
    return files.length === 0 ? 0 : 1;
  }
  let dir = root;
  if (args[0] === '--out' && args[1]) dir = path.resolve(args[1]);
  else if (args.length > 0) {
    console.error('usage: node scripts/generate.mjs [--out DIR | --check [DIR]]');
    return 2;
  }
  for (const [rel, text] of Object.entries(generate())) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) process.exitCode = main(process.argv.slice(2));
