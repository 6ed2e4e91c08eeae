// Which user:password pairs the service accepts, the same for every door
// (HTTP Basic credentials, the wire protocol's addAuth digest).
import type { Config } from "./config.js";

/** Equal strings, compared in time that does not depend on where they differ. */
function sameSecret(expected: string | undefined, given: string): boolean {
  if (expected === undefined) return false;
  let diff = expected.length ^ given.length;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i % Math.max(expected.length, 1));
  return diff === 0;
}

/**
 * Whether `user`/`password` may call at all (any pair, unless
 * ZK_API_CREDENTIALS lists the ones that may; an admin pair always may), and
 * whether it is an admin credential (ZK_ADMIN_CREDENTIALS).
 */
export function checkCredentials(config: Config, user: string, password: string): { accepted: boolean; admin: boolean } {
  const admin = sameSecret(config.adminCredentials?.get(user), password);
  const accepted = admin || !config.apiCredentials || sameSecret(config.apiCredentials.get(user), password);
  return { accepted, admin };
}
