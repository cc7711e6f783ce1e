// The metrics as deep-frozen snapshots that share what did not change between two of them.

/**
 * Freezes `value` and every object in it; returns it. Objects already frozen are taken as
 * deep-frozen (a shared section) and not walked again.
 * @template T
 * @param {T} value
 * @returns {T}
 */
export function deepFreeze(value) {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze(/** @type {any} */ (value)[key]);
  }
  return value;
}

/**
 * Builds metrics objects from the core's sections (`[key, text, key, text, ...]`, in key order,
 * the core's Core#metricsSections), where a null text is a section the same as in the previous
 * call: it is the previous build's frozen object. Only what changed is parsed, and a reader that
 * compares identities (a React memo, say) sees which parts did.
 */
export class SectionSnapshots {
  /** @type {Map<string, object>} */ #sections = new Map();

  /**
   * A new object holding every section, each deep-frozen; the object itself is not frozen. Null
   * when `parts` leaves out the text of a section this object does not hold: then the core is
   * to send every text again.
   * @param {(string | null)[]} parts
   * @returns {Record<string, any> | null}
   */
  build(parts) {
    /** @type {Record<string, any>} */
    const out = {};
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const key = /** @type {string} */ (parts[i]);
      const text = parts[i + 1];
      let section = this.#sections.get(key);
      if (text !== null) {
        section = deepFreeze(JSON.parse(text));
        this.#sections.set(key, /** @type {object} */ (section));
      } else if (section === undefined) {
        return null;
      }
      out[key] = section;
    }
    return out;
  }
}
