// `webllm-monitor otlp metrics.json --endpoint URL`: sends an export to an OpenTelemetry
// receiver (a Collector's OTLP/HTTP port) as one ExportMetricsServiceRequest in OTLP/JSON:
// cumulative points from the session's start to its `exportedAt`, with the retries of the
// browser push (js/otlp.js).

import { createHash } from 'node:crypto';
import { inputErrorExit, parseCommand } from './errors.js';
import { MonitorCore } from '../core.js';
import { checkResource, createOtlpPusher, normalizeOtlpOptions } from '../otlp.js';
import { VERSION } from '../version.js';
import { readExportFile, streams, InputError } from './regression.js';

export const OTLP_USAGE = `usage: webllm-monitor otlp <metrics.json> --endpoint URL [options]

Sends the export to URL/v1/metrics as one OTLP/HTTP JSON request (GenAI semantic conventions,
cumulative exponential histograms from the core's buckets).

options:
  --endpoint URL          the receiver's base URL, e.g. http://localhost:4318
  --header NAME=VALUE     an HTTP header (repeatable), e.g. --header "Authorization=Bearer x"
  --resource KEY=VALUE    a resource attribute (repeatable), e.g. --resource deployment.environment.name=ci
  --service-name NAME     service.name (default unknown_service)
  --attempts N            tries on 429/502/503/504 and network errors (default 5)
  --timeout-ms N          per attempt (default 10000)
  --dry-run               print the request instead of sending it
service.instance.id defaults to a hash of the file, so sending one file twice is idempotent.
exit code: 0 sent, 1 the receiver refused it or could not be reached, 2 usage or input error`;

/** NAME=VALUE pairs into an object; `what` names the option in errors. */
function pairs(list, what) {
  const out = {};
  for (const item of list ?? []) {
    const i = item.indexOf('=');
    if (i <= 0) throw new InputError(`otlp: ${what}: expected NAME=VALUE, got "${item}"`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

function positiveInt(value, what, min) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InputError(`otlp: ${what}: expected a whole number >= ${min}, got "${value}"`);
  return n;
}

/**
 * Runs `otlp` with the arguments after the subcommand.
 * @param {string[]} argv
 * @param {{ stdout?: { write(s: string): unknown }, stderr?: { write(s: string): unknown }, fetch?: typeof fetch }} [io]
 * @returns {Promise<number>}
 */
export async function runOtlp(argv, io) {
  const { stdout, stderr } = streams(io);
  let core;
  try {
    const { values, positionals } = parseCommand('otlp', argv, {
      endpoint: { type: 'string' },
      header: { type: 'string', multiple: true },
      resource: { type: 'string', multiple: true },
      'service-name': { type: 'string' },
      attempts: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    });
    if (values.help) {
      stdout.write(`${OTLP_USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new InputError(`otlp: expected 1 export file, got ${positionals.length}`);
    if (!values['dry-run'] && values.endpoint === undefined) throw new InputError('otlp: --endpoint is required (or --dry-run)');
    core = await MonitorCore.create();
    const { file, text, doc } = await readExportFile(positionals[0], core);
    const given = pairs(values.resource, '--resource');
    if (values['service-name'] !== undefined) given['service.name'] = values['service-name'];
    const instance = createHash('sha256').update(text).digest('hex').slice(0, 32);
    let options;
    try {
      options = normalizeOtlpOptions(
        {
          endpoint: values.endpoint ?? 'http://localhost:4318',
          headers: pairs(values.header, '--header'),
          resource: { 'service.instance.id': instance, ...given },
          maxAttempts: positiveInt(values.attempts, '--attempts', 1),
          timeoutMs: positiveInt(values['timeout-ms'], '--timeout-ms', 1),
        },
        'otlp',
      );
    } catch (err) {
      // "otlp.headers[...]: ..." -> "otlp: --header[...]: ...": the flag the user typed.
      const flags = { endpoint: 'endpoint', headers: 'header', resource: 'resource', maxAttempts: 'attempts', timeoutMs: 'timeout-ms' };
      throw new InputError(/** @type {Error} */ (err).message.replace(/^otlp\.(\w+)/, (_, k) => `otlp: --${flags[k] ?? k}`));
    }
    const resource = checkResource(options.resource, 'otlp: --resource', instance);
    const body = core.otlpJson({ resource, scopeVersion: VERSION }, doc.exportedAtMs);
    if (values['dry-run']) {
      stdout.write(`${body}\n`);
      return 0;
    }
    const pusher = createOtlpPusher({ options, body: () => body, onResult: () => {}, fetch: io?.fetch });
    const result = await pusher.push();
    const metrics = JSON.parse(body).resourceMetrics[0].scopeMetrics[0].metrics.length;
    if (result.ok) {
      stdout.write(
        `${file}: sent ${metrics} metrics (${result.bytes} bytes) to ${options.url}: HTTP ${result.status}` +
          `${result.attempts > 1 ? ` after ${result.attempts} attempts` : ''}\n`,
      );
      return 0;
    }
    stderr.write(`webllm-monitor: otlp: ${options.url}: ${result.error ?? 'failed'} (${result.attempts} attempt${result.attempts === 1 ? '' : 's'})\n`);
    return 1;
  } catch (err) {
    return inputErrorExit(err, 'otlp', OTLP_USAGE, stderr);
  } finally {
    core?.dispose();
  }
}
