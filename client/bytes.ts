// Znode data is bytes; the wire carries it as standard base64 (RFC 4648 §4).
// Only what both Workers and Node have (btoa, atob, TextEncoder): no Buffer.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the client accepts as data: bytes, or a string sent as its UTF-8 bytes. */
export type Data = Uint8Array | string;

/** The UTF-8 bytes of a string. */
export function fromText(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes read as UTF-8 (invalid sequences become U+FFFD). */
export function toText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function toBytes(data: Data | undefined | null): Uint8Array {
  if (data === undefined || data === null) return new Uint8Array(0);
  return typeof data === "string" ? fromText(data) : data;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked: spreading a large array into fromCharCode overflows the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string | null | undefined): Uint8Array {
  if (!text) return new Uint8Array(0);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
