// What the lockstep runner needs from each side of a comparison.
import type { Op } from "./ops.js";
import type { Frame, NResult, NSnapshot } from "./normalize.js";

/** An actor with no session: ZooKeeper gives it a session of its own, opened before the trace begins. */
export interface Anonymous {
  name: string;
  /** "user:password": ZooKeeper's addAuthInfo("digest", …); the service's Authorization: Basic. */
  auth?: string;
}

export interface Side {
  readonly name: string;
  readonly frame: Frame;
  /** Prepares the anonymous actors and takes the base zxid: nothing before this counts. */
  begin(anonymous: Anonymous[]): Promise<void>;
  /** Runs one op as `actor` (an anonymous actor's name or a session label) and normalizes its outcome. */
  run(actor: string, op: Op): Promise<NResult>;
  /** Every node under `roots` (data, stat, children; the ACL when asked). */
  snapshot(roots: string[], withAcl: boolean): Promise<NSnapshot>;
  /** The last zxid applied, as an offset. */
  lastZxid(): Promise<number>;
  /** Problems seen since the last call that no single answer shows: time relations, a session lost unexpectedly. */
  violations(): string[];
  /** Answers since the last call that said the side's backing store was unavailable (503). */
  outages?(): string[];
  /** Closes every session still open (ends the trace; its zxids no longer matter). */
  end(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const EXPIRY_DEADLINE_MS = 30_000;
