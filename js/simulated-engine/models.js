// The models the simulated engine knows (sizes from WebLLM's prebuilt config, plausible speeds,
// a guess from the name for any other id) and the browser cache their weights go to.

/** The shared simulated browser cache (the Cache API of the page): model id -> shards cached. */
/** @type {Map<string, { shards: number, cachedShards: number, bytes: number }>} */
export const browserCache = new Map();

/**
 * Whether every weight shard of `modelId` is in the simulated browser cache (what WebLLM's
 * `hasModelInCache(modelId, appConfig)` answers for the real one). Same signature, so it can be
 * given as the monitor's `hasModelInCache` option.
 * @param {string} modelId
 * @param {unknown} [_appConfig]
 * @returns {Promise<boolean>}
 */
export async function simulatedHasModelInCache(modelId, _appConfig) {
  const entry = browserCache.get(modelId);
  return entry !== undefined && entry.cachedShards >= entry.shards;
}

/** Removes one model's weights from the simulated browser cache. */
export async function simulatedDeleteModelInCache(modelId) {
  browserCache.delete(modelId);
}

/** Sizes from WebLLM's prebuiltAppConfig (vram_required_MB); speeds are plausible figures. */
const CATALOG = {
  'Llama-3.2-1B-Instruct-q4f16_1-MLC': { vramMB: 879.04, paramsMB: 664, decodeTps: 48, prefillTps: 900, shaders: 96 },
  'Llama-3.2-3B-Instruct-q4f16_1-MLC': { vramMB: 2263.69, paramsMB: 1730, decodeTps: 24, prefillTps: 420, shaders: 96 },
  'Llama-3.1-8B-Instruct-q4f16_1-MLC': { vramMB: 5001.0, paramsMB: 4330, decodeTps: 12, prefillTps: 170, shaders: 98 },
  'Qwen2.5-0.5B-Instruct-q4f16_1-MLC': { vramMB: 944.62, paramsMB: 276, decodeTps: 70, prefillTps: 1400, shaders: 92 },
  'Qwen2.5-1.5B-Instruct-q4f16_1-MLC': { vramMB: 1629.75, paramsMB: 868, decodeTps: 40, prefillTps: 700, shaders: 92 },
  'SmolLM2-360M-Instruct-q4f16_1-MLC': { vramMB: 376.06, paramsMB: 206, decodeTps: 85, prefillTps: 1700, shaders: 88 },
  'Phi-3.5-mini-instruct-q4f16_1-MLC': { vramMB: 3672.07, paramsMB: 2150, decodeTps: 20, prefillTps: 300, shaders: 94 },
  'gemma-2-2b-it-q4f16_1-MLC': { vramMB: 1895.3, paramsMB: 1480, decodeTps: 28, prefillTps: 450, shaders: 100 },
  'snowflake-arctic-embed-m-q0f32-MLC-b32': { vramMB: 1407.51, paramsMB: 436, embedding: true, dims: 768, prefillTps: 5000, shaders: 40 },
  'snowflake-arctic-embed-m-q0f32-MLC-b4': { vramMB: 539.4, paramsMB: 436, embedding: true, dims: 768, prefillTps: 3000, shaders: 40 },
  'snowflake-arctic-embed-s-q0f32-MLC-b32': { vramMB: 1022.82, paramsMB: 127, embedding: true, dims: 384, prefillTps: 9000, shaders: 40 },
  'snowflake-arctic-embed-s-q0f32-MLC-b4': { vramMB: 238.71, paramsMB: 127, embedding: true, dims: 384, prefillTps: 6000, shaders: 40 },
};

export const SHARD_BYTES = 32 * 1024 * 1024;

/** A profile for any model id: the catalog's, or one guessed from the name ("1.5B", "q4f16"...). */
export function modelProfile(modelId, record, overrides) {
  const known = CATALOG[modelId];
  let profile;
  if (known) profile = { ...known };
  else {
    const m = /(\d+(?:\.\d+)?)\s*([BM])(?![a-z])/i.exec(modelId);
    const billions = m ? Number(m[1]) / (m[2].toUpperCase() === 'M' ? 1000 : 1) : 1;
    const bytesPerParam = /q0f32/i.test(modelId) ? 4 : /q0f16|q0bf16/i.test(modelId) ? 2 : /q3/i.test(modelId) ? 0.45 : 0.56;
    const paramsMB = Math.max(20, Math.round((billions * 1e9 * bytesPerParam) / 1048576));
    const embedding = /embed/i.test(modelId);
    profile = {
      vramMB: Math.round(paramsMB * 1.3 * 100) / 100,
      paramsMB,
      decodeTps: Math.max(4, Math.round(50 / Math.pow(Math.max(billions, 0.2), 0.75))),
      prefillTps: Math.max(60, Math.round(800 / Math.pow(Math.max(billions, 0.2), 0.8))),
      shaders: embedding ? 40 : 96,
      embedding,
      dims: embedding ? 384 : undefined,
    };
  }
  if (record && typeof record === 'object') {
    if (record.model_type === 1) profile.embedding = true;
    else if (record.model_type === 0 || record.model_type === 2) profile.embedding = false;
    if (typeof record.vram_required_MB === 'number') profile.vramMB = record.vram_required_MB;
  }
  if (overrides && typeof overrides === 'object') Object.assign(profile, overrides);
  profile.dims ??= 384;
  profile.contextWindow ??= 4096;
  return profile;
}
