// Writers in one process that would collide on the same key take turns. A
// guarded commit that relies on a key exactly (a sequential name on its
// parent's creations counter, a setData on the node's whole Stat) loses to
// every concurrent writer of that key and tries again, so n such writers
// racing cost about n² round trips and the unlucky ones wait longest. Queued,
// they cost n. Writers in other processes are still kept honest by the
// guards; this only spares the collisions one process can see coming.
//
// A turn on one key can also hand the next one what it learned (the state
// its commit left, read in that commit), so the next need not read first;
// it can ask what the next one needs beyond its own (another session).

/** What a caller can do with its turn. */
export interface Turn<B, N = never> {
  /** Whether someone is waiting behind this turn on one of its keys. */
  queued(): boolean;
  /** What the previous turn on the same single key handed on, if anything. */
  readonly received: B | undefined;
  /** Hands `baton` to the next turn on this turn's key (a turn of one key only). */
  pass(baton: B): void;
  /** What the turn right behind this one on its key said it needs, if it takes batons. */
  next(): N | undefined;
}

const tails = new Map<string, Promise<void>>();
const batons = new Map<string, unknown>();
/** A turn (by its release promise) → what the single-key turn queued right behind it needs. */
const following = new WeakMap<Promise<void>, unknown>();

/**
 * Runs `fn` once every earlier caller naming any of `keys` is done. A caller
 * only ever waits for callers that named a key before it did (all its keys
 * are taken at once), so no two can wait for each other.
 */
export async function inTurn<T, B = never, N = never>(keys: string[], fn: (turn: Turn<B, N>) => Promise<T>, need?: N): Promise<T> {
  const mine = [...new Set(keys)];
  const before = mine.flatMap((k) => tails.get(k) ?? []);
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  // Only a turn of one key receives batons, so only it says what it needs.
  if (mine.length === 1 && need !== undefined && before.length === 1) following.set(before[0]!, need);
  for (const k of mine) tails.set(k, done);
  try {
    await Promise.all(before);
    // Whatever was left for these keys is for this turn or for none.
    const received = mine.length === 1 ? (batons.get(mine[0]!) as B | undefined) : undefined;
    for (const k of mine) batons.delete(k);
    return await fn({
      queued: () => mine.some((k) => tails.get(k) !== done),
      received,
      pass: (baton) => {
        if (mine.length === 1) batons.set(mine[0]!, baton);
      },
      // A turn of several keys passes no baton, so what comes next is not its concern.
      next: () => (mine.length === 1 ? (following.get(done) as N | undefined) : undefined),
    });
  } finally {
    release();
    for (const k of mine) {
      if (tails.get(k) !== done) continue;
      // Nobody came after: nobody to hand anything to.
      tails.delete(k);
      batons.delete(k);
    }
  }
}
