// A seeded random generator, so the mock dataset is the same on every load.

export type Random = () => number;

/** mulberry32: small, fast, good enough for sample data. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) {
    throw new Error("pick from an empty list");
  }
  return item;
}

/** Up to `max` distinct items, fewer more often. */
export function pickSome<T>(random: Random, items: readonly T[], max: number): T[] {
  const count = Math.floor(random() ** 2 * (max + 1));
  const chosen = new Set<T>();
  while (chosen.size < Math.min(count, items.length)) {
    chosen.add(pick(random, items));
  }
  return [...chosen];
}
