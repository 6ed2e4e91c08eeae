// Writers in one process that would collide on the same key take turns. A
// guarded commit that relies on a key exactly (a sequential name on its
// parent's creations counter, a setData on the node's whole Stat) loses to
// every concurrent writer of that key and tries again, so n such writers
// racing cost about n² round trips and the unlucky ones wait longest. Queued,
// they cost n. Writers in other processes are still kept honest by the
// guards; this only spares the collisions one process can see coming.

const tails = new Map<string, Promise<void>>();

/**
 * Runs `fn` once every earlier caller naming any of `keys` is done. A caller
 * only ever waits for callers that named a key before it did (all its keys
 * are taken at once), so no two can wait for each other.
 */
export async function inTurn<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
  if (keys.length === 0) return fn();
  const mine = [...new Set(keys)];
  const before = mine.flatMap((k) => tails.get(k) ?? []);
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  for (const k of mine) tails.set(k, done);
  try {
    await Promise.all(before);
    return await fn();
  } finally {
    release();
    for (const k of mine) if (tails.get(k) === done) tails.delete(k);
  }
}
