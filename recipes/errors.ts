// The recipes' own failures. ZooKeeper's codes stay the client's ZkError
// classes; these name what only a recipe can say: the wait ran out, or what
// was held is no longer held.

/** acquire()/enter()/take() ran out of time (the `timeoutMs` option). */
export class RecipeTimeoutError extends Error {
  override name = "TimeoutError";
}

export type LossCause =
  /** The service said the session is gone (410), or the client heard it expire. */
  | "expired"
  /** The client was closed. */
  | "closed"
  /** The service could not be reached for longer than the grace (see HoldOptions.suspendedGraceMs). */
  | "suspended"
  /** The node that stood for the holding was deleted (by someone else, or by the session's end). */
  | "deleted";

/** The reason on a holding's `signal` once it is lost. */
export class LostError extends Error {
  override name = "LostError";
  constructor(
    readonly why: LossCause,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${path} is no longer held: ${describe(why)}`, options);
  }
}

function describe(c: LossCause): string {
  switch (c) {
    case "expired":
      return "the session expired";
    case "closed":
      return "the client was closed";
    case "suspended":
      return "the service was unreachable for too long, so the session may have expired";
    case "deleted":
      return "its node was deleted";
  }
}
