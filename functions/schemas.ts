// Request and response schemas: they validate requests and write /openapi.json.
import { z } from "@hono/zod-openapi";
import { CREATE_MODES, MAX_TTL_MS } from "../lib/model.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

export const Int64String = z.string().regex(/^-?\d+$/).openapi({ description: "int64 as a decimal string", example: "42" });

export const Stat = z
  .object({
    czxid: Int64String,
    mzxid: Int64String,
    pzxid: Int64String,
    ctime: z.number().int(),
    mtime: z.number().int(),
    version: z.number().int(),
    cversion: z.number().int(),
    aversion: z.number().int(),
    ephemeralOwner: Int64String,
    dataLength: z.number().int(),
    numChildren: z.number().int(),
  })
  .openapi("Stat");

// Standard base64 (RFC 4648 §4): padding optional, no whitespace.
export const Base64 = z
  .string()
  .refine((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && (s.includes("=") ? s.length % 4 === 0 : s.length % 4 !== 1), {
    message: "must be standard base64 (A–Z a–z 0–9 + /, optional = padding, no whitespace)",
  })
  .openapi({ description: "znode data: base64, or a UTF-8 string with ?encoding=utf8" });

export const Data = z.string().nullish().openapi({ description: "base64 by default; a UTF-8 string with ?encoding=utf8" });

const int32 = z.number().int().min(INT32_MIN).max(INT32_MAX);
const Version = int32.nullish().openapi({ description: "expected version; -1 or absent: any" });

export const AclEntryJson = z
  .object({
    perms: z.string().regex(/^[cdrwa]*$/, "perms is a string of the letters c d r w a").openapi({ example: "cdrwa" }),
    scheme: z.string().openapi({ example: "world" }),
    id: z.string().openapi({ example: "anyone" }),
  })
  .openapi("AclEntry");

export const Mode = z.enum(CREATE_MODES).openapi("CreateMode");
export const TtlMs = z.number().int().min(0).max(MAX_TTL_MS);

export const CreateBody = z
  .object({ data: Data, mode: Mode.nullish(), acl: z.array(AclEntryJson).nullish(), ttlMs: TtlMs.nullish() })
  .openapi("CreateBody");

export const SetDataBody = z.object({ data: Data }).openapi("SetDataBody");

export const MultiOp = z
  .discriminatedUnion("op", [
    z.object({ op: z.literal("create"), path: z.string(), data: Data, mode: Mode.nullish(), acl: z.array(AclEntryJson).nullish(), ttlMs: TtlMs.nullish() }),
    z.object({ op: z.literal("delete"), path: z.string(), version: Version }),
    z.object({ op: z.literal("setData"), path: z.string(), data: Data, version: Version }),
    z.object({ op: z.literal("check"), path: z.string(), version: Version }),
  ])
  .openapi("MultiOp");

export const MultiBody = z.object({ ops: z.array(MultiOp) }).openapi("MultiBody");

export const MultiReadBody = z
  .object({ ops: z.array(z.discriminatedUnion("op", [z.object({ op: z.literal("getData"), path: z.string() }), z.object({ op: z.literal("getChildren"), path: z.string() })])) })
  .openapi("MultiReadBody");

// ZooKeeper's ConnectRequest carries the timeout as an int32.
export const SessionBody = z.object({ timeoutMs: int32.nullish() }).openapi("SessionBody");

export const SetAclBody = z.object({ acl: z.array(AclEntryJson) }).openapi("SetAclBody");

// Query parameters arrive as strings.
const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, "must be a decimal integer")
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

export const VersionQuery = decimal(INT32_MIN, INT32_MAX);

export const ZnodeQuery = z.object({
  view: z.enum(["data", "children", "stat"]).optional(),
  encoding: z.enum(["base64", "utf8"]).optional(),
  mode: Mode.optional(),
  ttlMs: decimal(0, MAX_TTL_MS).optional(),
  version: VersionQuery.optional(),
});

export const AclQuery = z.object({ aversion: VersionQuery.optional() });

export const WatchQuery = z.object({
  type: z.enum(["data", "exists", "children"]).openapi({ description: "the read that set the watch: getData, exists or getChildren" }),
  zxid: z.string().optional().openapi({ description: "ZK-Zxid of that read (int64, decimal); absent: from now" }),
  timeoutMs: decimal(1, INT32_MAX).optional().openapi({ description: "longest wait; default 30000, clamped to the configured maximum" }),
});

export const EventsQuery = z.object({
  recursive: z.enum(["true", "false"]).optional().openapi({ description: "the whole subtree (addWatch PERSISTENT_RECURSIVE); default false" }),
  zxid: z.string().optional().openapi({ description: "events after this zxid (int64, decimal); absent: from now. A Last-Event-ID header wins" }),
  timeoutMs: decimal(1, INT32_MAX).optional().openapi({ description: "the stream ends after this; default 30000, clamped to the configured maximum" }),
});

export const WatchEventResponse = z
  .object({
    type: z.enum(["NodeCreated", "NodeDeleted", "NodeDataChanged", "NodeChildrenChanged"]),
    path: z.string(),
    zxid: Int64String,
  })
  .openapi("WatchEvent");

export const EncodingQuery = z.object({ encoding: z.enum(["base64", "utf8"]).optional() });

export const ErrorResponse = z
  .object({
    code: z.string().openapi({ example: "NONODE" }),
    zkCode: z.number().int().nullable().openapi({ example: -101 }),
    message: z.string(),
    path: z.string().optional(),
    results: z.array(z.object({ code: z.string() })).optional(),
    requestId: z.string().optional(),
  })
  .openapi("Error");

export const ZnodeResponse = z.object({ path: z.string(), data: z.string(), stat: Stat }).openapi("Znode");
export const ChildrenResponse = z.object({ path: z.string(), children: z.array(z.string()), stat: Stat }).openapi("Children");
export const PathStatResponse = z.object({ path: z.string(), stat: Stat }).openapi("PathStat");
export const AclResponse = z.object({ path: z.string(), acl: z.array(AclEntryJson), stat: Stat }).openapi("Acl");
export const SessionResponse = z.object({ id: Int64String, timeoutMs: z.number().int() }).openapi("Session");
export const SessionInfoResponse = SessionResponse.extend({ ephemerals: z.array(z.string()) }).openapi("SessionInfo");
export const MultiResult = z
  .object({ op: z.string(), path: z.string().optional(), stat: Stat.optional() })
  .openapi("MultiResult");
export const MultiResponse = z.object({ results: z.array(MultiResult) }).openapi("MultiResults");
export const MultiReadResponse = z
  .object({
    results: z.array(
      z.object({
        op: z.string(),
        path: z.string(),
        data: z.string().optional(),
        children: z.array(z.string()).optional(),
        stat: Stat.optional(),
        error: ErrorResponse.optional(),
      }),
    ),
  })
  .openapi("MultiReadResults");
