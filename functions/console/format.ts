// Pure helpers of the web console. They run in the browser (assets.ts ships
// their source text) and in Node (the unit tests), so each is a standalone
// function declaration that uses nothing but language built-ins and its
// arguments: no imports, no module state.

/** An int64 decimal string as 0x-prefixed hex; negative values as their 64-bit two's complement, as ZooKeeper prints session ids. */
export function int64Hex(decimal: string): string {
  return "0x" + BigInt.asUintN(64, BigInt(decimal)).toString(16);
}

/** Bytes from standard base64 (padding optional). */
export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Standard base64 of bytes, padded. */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

/** The bytes as UTF-8 text, or null when they are not valid UTF-8. */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** A hex dump: offset, 16 bytes in hex, and their printable ASCII. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = Array.from(bytes.subarray(off, off + 16));
    const hex = row.map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${off.toString(16).padStart(8, "0")}  ${hex.padEnd(47, " ")}  ${ascii}`);
  }
  return lines.join("\n");
}

/** Bytes from hex digits, whitespace ignored (what hexDump's middle column holds); null if malformed. */
export function hexToBytes(hex: string): Uint8Array | null {
  const digits = hex.replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) return null;
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The text pretty-printed as JSON, or null when it is not JSON. */
export function prettyJson(text: string): string | null {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return null;
  }
}

/** The parent of a znode path ("/" for a top-level node, null for the root). */
export function parentOf(path: string): string | null {
  if (path === "/") return null;
  const i = path.lastIndexOf("/");
  return i === 0 ? "/" : path.slice(0, i);
}

/** A child's full path. */
export function joinPath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

/** The last segment of a path ("/" for the root). */
export function baseName(path: string): string {
  return path === "/" ? "/" : path.slice(path.lastIndexOf("/") + 1);
}

/** The path and every ancestor, root first. */
export function ancestry(path: string): string[] {
  const out: string[] = ["/"];
  if (path === "/") return out;
  let at = "";
  for (const seg of path.slice(1).split("/")) {
    at += "/" + seg;
    out.push(at);
  }
  return out;
}

/** A znode path in a URL: each segment percent-encoded, the slashes kept readable. */
export function encodePath(path: string): string {
  return path === "/" ? "/" : path.split("/").map(encodeURIComponent).join("/");
}

/**
 * Whether a name looks sequential: ZooKeeper appends a ten-digit, zero-padded
 * counter, and records nothing else, so this is a guess from the name alone.
 */
export function looksSequential(name: string): boolean {
  return /\d{10}$/.test(name);
}

/** ZooKeeper's permission letters as the API spells them, in its order. */
export function permsText(perms: string): string {
  return "cdrwa".split("").filter((p) => perms.includes(p)).join("");
}

/** Basic credentials for the Authorization header; the user and password are UTF-8. */
export function basicAuth(user: string, password: string): string {
  return "Basic " + bytesToBase64(new TextEncoder().encode(`${user}:${password}`));
}

/** A millisecond time as the browser's local date and time, with the raw number. */
export function localTime(ms: number): string {
  if (ms === 0) return "0 (never)";
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const offset = -d.getTimezoneOffset();
  const tz = `${offset >= 0 ? "+" : "-"}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} ${tz}`;
}

/**
 * One Server-Sent Events message block (the text between blank lines) as its
 * fields; comment lines (": keepalive") are dropped.
 */
export function parseSseBlock(block: string): { id?: string; event?: string; data?: string; retry?: string } {
  const out: { id?: string; event?: string; data?: string; retry?: string } = {};
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") out.data = out.data === undefined ? value : `${out.data}\n${value}`;
    else if (field === "id" || field === "event" || field === "retry") out[field] = value;
  }
  return out;
}
