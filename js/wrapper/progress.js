// WebLLM's InitProgressReport texts: what one of them says (parseProgressText), and what the
// texts of one load say together (LoadEvidence): the phases seen, the bytes fetched, and so
// whether the weights came from the cache.

const MIB = 1024 * 1024;

/** @type {Array<['fetch' | 'load', RegExp]>} */
const PROGRESS_PATTERNS = [
  ['fetch', /^Fetching param cache\[(\d+)\/(\d+)\]:\s*(\d+(?:\.\d+)?)\s*MB fetched\.\s*(\d+(?:\.\d+)?)% completed,\s*(\d+(?:\.\d+)?) secs elapsed/i],
  ['load', /^Loading model from cache\[(\d+)\/(\d+)\]:\s*(\d+(?:\.\d+)?)\s*MB loaded\.\s*(\d+(?:\.\d+)?)% completed,\s*(\d+(?:\.\d+)?) secs elapsed/i],
];
const SHADERS = /^Loading GPU shader modules\[(\d+)\/(\d+)\]:\s*(\d+(?:\.\d+)?)% completed,\s*(\d+(?:\.\d+)?) secs elapsed/i;
const FINISH = /^Finish loading on\s*(.*)$/is;

/**
 * What can be read from one of WebLLM's progress texts.
 * @param {string} text
 * @returns {import('../wrapper.d.ts').ProgressInfo}
 */
export function parseProgressText(text) {
  if (typeof text !== 'string') return { phase: 'unknown' };
  const t = text.trim();
  if (/^Start to fetch params/i.test(t)) return { phase: 'start' };
  for (const [phase, re] of PROGRESS_PATTERNS) {
    const m = re.exec(t);
    if (m) {
      const megabytes = Number(m[3]);
      return {
        phase,
        index: Number(m[1]),
        total: Number(m[2]),
        megabytes,
        bytes: megabytes * MIB,
        percent: Number(m[4]),
        secondsElapsed: Number(m[5]),
      };
    }
  }
  let m = SHADERS.exec(t);
  if (m) return { phase: 'shaders', index: Number(m[1]), total: Number(m[2]), percent: Number(m[3]), secondsElapsed: Number(m[4]) };
  m = FINISH.exec(t);
  if (m) {
    const device = m[1].trim();
    const dash = /^WebGPU\s*-\s*/i.exec(device);
    return { phase: 'done', device, adapter: dash ? device.slice(dash[0].length) : device };
  }
  return { phase: 'unknown' };
}

/**
 * What the progress texts of one load say together: whether weights were fetched ("Fetching
 * param cache") or read from the cache ("Loading model from cache"), how many models started
 * and finished, and the bytes fetched (each model's last "MB fetched", counted when its load
 * ends or the next one starts). The texts are the evidence of where the weights came from.
 */
export class LoadEvidence {
  constructor() {
    this.fetchSeen = false;
    this.loadSeen = false;
    this.starts = 0;
    this.finishes = 0;
    this.committedBytes = 0;
    this.currentMB = 0;
  }

  /** One progress text. */
  read(text) {
    if (text.startsWith('Fetching param cache')) {
      this.fetchSeen = true;
      const info = parseProgressText(text);
      if ('megabytes' in info && info.megabytes !== undefined && info.megabytes > this.currentMB) this.currentMB = info.megabytes;
    } else if (text.startsWith('Loading model from cache')) {
      this.loadSeen = true;
    } else if (text.startsWith('Start to fetch params')) {
      this.starts += 1;
      this.commitBytes();
    } else if (text.startsWith('Finish loading')) {
      this.finishes += 1;
      this.commitBytes();
    }
  }

  /** Each of `models` models reported "Finish loading", each after its start. */
  complete(models) {
    return this.finishes >= models && this.finishes >= this.starts;
  }

  commitBytes() {
    this.committedBytes += this.currentMB * MIB;
    this.currentMB = 0;
  }

  /** "Finish loading" and nothing else: nothing was loaded (a service worker skipped the reload). */
  finishOnly() {
    return this.starts === 0 && this.finishes > 0 && !this.fetchSeen && !this.loadSeen;
  }

  /** A model's "Start to fetch params" had no "Finish loading": the load was cut short. */
  unfinished() {
    return this.starts > this.finishes;
  }

  /** false: weights were fetched; true: all came from the cache; "unknown": the texts do not say. */
  fromCache() {
    return this.fetchSeen ? false : this.loadSeen ? true : 'unknown';
  }
}
