// How recipes name their sequential nodes. Every node a recipe creates starts
// with a "protected" prefix carrying a fresh GUID (Curator's protected mode):
// if a create's answer is lost, the creator finds its own node among the
// children by that prefix instead of creating a second one. Order is by the
// ten-digit sequence suffix ZooKeeper appends, never by the whole name, since
// the GUIDs before it sort at random.

/** The prefix `_c_<guid>-` of a protected node; `guid` is fresh per attempt. */
export function protectedPrefix(guid: string): string {
  return `_c_${guid}-`;
}

/** A new GUID, from what both Node and Workers have. */
export function newGuid(): string {
  return crypto.randomUUID();
}

// ZooKeeper formats the counter as %010d: ten characters, a minus sign among them once it overflows.
const SEQUENCE = /(\d{10}|-\d{9})$/;

/** The sequence number ZooKeeper appended to `name`, or undefined for a name without one. */
export function sequenceOf(name: string): number | undefined {
  const m = SEQUENCE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The children that are this recipe's nodes of one of `kinds` (the text
 * between the protected prefix and the sequence, e.g. "lock-"), sorted by
 * sequence. Other children (a stranger's node, a recipe's own bookkeeping
 * nodes) are left out.
 */
export function sortedNodes(children: readonly string[], kinds: readonly string[]): string[] {
  return children
    .filter((c) => sequenceOf(c) !== undefined && kinds.some((k) => kindOf(c) === k))
    .sort((a, b) => sequenceOf(a)! - sequenceOf(b)! || (a < b ? -1 : a > b ? 1 : 0));
}

/** The kind of a recipe node: what stands between the protected prefix (if any) and the sequence. */
export function kindOf(name: string): string {
  const body = name.replace(SEQUENCE, "");
  const m = /^_c_[0-9a-f-]{36}-(.*)$/.exec(body);
  return m ? m[1]! : body;
}

/** The child that a create with `prefix` made, if any (there is at most one per GUID). */
export function ownNode(children: readonly string[], prefix: string): string | undefined {
  return children.find((c) => c.startsWith(prefix));
}
