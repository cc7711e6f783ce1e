// createMonitor's options: the JS layer's own are checked here (the core checks its own on
// configure), and the OTLP instance id that a persisted session keeps.

import { describeValue as describe } from '../describe.js';
import { checkResource, normalizeOtlpOptions } from '../otlp.js';

const OPTION_NAMES = [
  'historySize',
  'prices',
  'currency',
  'thresholds',
  'debug',
  'persist',
  'persistKey',
  'persistIntervalMs',
  'sampleIntervalMs',
  'memory',
  'webgpu',
  'gpuBuffers',
  'defaultType',
  'hasModelInCache',
  'throttleMs',
  'strict',
  'logger',
  'otlp',
  'errorMessages',
];

function fail(field, expected, value) {
  throw new TypeError(`createMonitor: options.${field}: expected ${expected}, got ${describe(value)}`);
}

/** Checks the options that are the JS layer's own (the core checks its own on configure). */
export function checkOptions(options) {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new TypeError(`createMonitor: options: expected an object, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw new TypeError(`createMonitor: options.${key}: unknown option (known: ${OPTION_NAMES.join(', ')})`);
  }
  const o = options;
  for (const key of ['debug', 'memory', 'webgpu', 'gpuBuffers', 'strict', 'errorMessages'])
    if (o[key] !== undefined && typeof o[key] !== 'boolean') fail(key, 'true or false', o[key]);
  for (const key of ['sampleIntervalMs', 'throttleMs'])
    if (o[key] !== undefined && !(typeof o[key] === 'number' && Number.isFinite(o[key]) && o[key] >= 0)) fail(key, 'a number of milliseconds >= 0', o[key]);
  if (o.persistIntervalMs !== undefined && !(typeof o.persistIntervalMs === 'number' && Number.isFinite(o.persistIntervalMs) && o.persistIntervalMs > 0))
    fail('persistIntervalMs', 'a number of milliseconds > 0', o.persistIntervalMs);
  if (o.persist !== undefined && o.persist !== false && o.persist !== 'localStorage' && o.persist !== 'indexedDB')
    fail('persist', "false, 'localStorage' or 'indexedDB'", o.persist);
  for (const key of ['persistKey', 'defaultType'])
    if (o[key] !== undefined && (typeof o[key] !== 'string' || o[key] === '')) fail(key, 'a non-empty string', o[key]);
  if (o.hasModelInCache !== undefined && typeof o.hasModelInCache !== 'function')
    fail('hasModelInCache', 'a function (modelId, appConfig) => Promise<boolean>', o.hasModelInCache);
  if (o.logger !== undefined && (o.logger === null || typeof o.logger !== 'object')) fail('logger', 'a console-like object', o.logger);
  return o.otlp === undefined ? null : normalizeOtlpOptions(o.otlp, 'createMonitor: options.otlp');
}

/**
 * The OTLP service.instance.id: one per persisted session, kept next to it in localStorage so
 * that a restored session continues the same cumulative streams; otherwise one per monitor.
 */
export function otlpInstanceId(options) {
  const fresh = checkResource(undefined)['service.instance.id'];
  if (!options.persist) return fresh;
  const key = `${options.persistKey ?? 'webllm-monitor'}:otlp-instance-id`;
  try {
    const storage = globalThis.localStorage;
    const saved = storage?.getItem(key);
    if (saved) return saved;
    storage?.setItem(key, fresh);
  } catch {
    // storage unavailable (a worker, privacy mode): a fresh id
  }
  return fresh;
}
