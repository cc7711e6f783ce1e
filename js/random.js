// Seeded randomness for the simulations (the simulated engine, the example session, the tests
// and the demo): the same seed gives the same numbers on every machine.

/** mulberry32: a small, fast, seedable PRNG with a 2^32 period; returns [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeRandom(seed) {
  const uniform = mulberry32(seed);
  const normal = () => {
    // Box-Muller; 1 - u keeps log() away from 0.
    const u = 1 - uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    uniform,
    normal,
    /** Lognormal with the given median and log-space sigma. */
    lognormal: (median, sigma) => median * Math.exp(sigma * normal()),
    exponential: (mean) => -mean * Math.log(1 - uniform()),
    int: (lo, hi) => lo + Math.floor(uniform() * (hi - lo + 1)),
    chance: (p) => uniform() < p,
    pick: (weighted) => {
      let r = uniform() * weighted.reduce((s, [, w]) => s + w, 0);
      for (const [item, w] of weighted) if ((r -= w) < 0) return item;
      return weighted[weighted.length - 1][0];
    },
  };
}
