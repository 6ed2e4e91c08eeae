// ZooKeeper 3.8's path rules (PathUtils.validatePath), and path arithmetic.
import { ZkError } from "./errors.js";

/** Why `path` is not a valid znode path, or null when it is. */
export function pathProblem(path: string, sequential = false): string | null {
  // A sequential create names a prefix; ZooKeeper validates it as if a digit followed.
  const p = sequential ? path + "1" : path;
  if (p.length === 0) return "path must not be empty";
  if (p[0] !== "/") return "path must start with /";
  if (p.length === 1) return null;
  if (p.endsWith("/")) return "path must not end with /";
  let segmentStart = 1;
  for (let i = 1; i <= p.length; i++) {
    if (i < p.length && p[i] !== "/") {
      const c = p.charCodeAt(i);
      if (c === 0) return `null character not allowed at ${i}`;
      if (
        (c >= 0x01 && c <= 0x1f) ||
        (c >= 0x7f && c <= 0x9f) ||
        (c >= 0xd800 && c <= 0xf8ff) || // also every surrogate, so nothing outside the BMP
        c >= 0xfff0
      ) {
        return `invalid character U+${c.toString(16).toUpperCase().padStart(4, "0")} at ${i}`;
      }
      continue;
    }
    const segment = p.slice(segmentStart, i);
    if (segment === "") return `empty node name at ${i}`;
    if (segment === "." || segment === "..") return `relative path segment "${segment}" not allowed at ${segmentStart}`;
    segmentStart = i + 1;
  }
  return null;
}

export function validatePath(path: string, sequential = false): void {
  const problem = pathProblem(path, sequential);
  if (problem) throw new ZkError("BADARGUMENTS", `invalid path ${JSON.stringify(path)}: ${problem}`, path);
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function depth(path: string): number {
  if (path === "/") return 0;
  let n = 0;
  for (const ch of path) if (ch === "/") n++;
  return n;
}

export function join(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/** Nodes that ZooKeeper itself owns: they exist from the start and cannot be deleted. */
export const SYSTEM_PATHS = ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] as const;

export function isSystemPath(path: string): boolean {
  return (SYSTEM_PATHS as readonly string[]).includes(path);
}
