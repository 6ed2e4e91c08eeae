// The bench's ops as raw etcd performs them: the one etcd call per ZooKeeper
// op that a perfect layer would send, through one etcd3 (gRPC) client. Used by
// the bench's etcd target in its own process, and by the floor server
// (bench-floor.ts) behind a bare HTTP server, so both run the very same calls.
import { Etcd3, type IOptions } from "etcd3";

export const OPS = ["create", "getData", "exists", "getChildren", "setData", "delete", "multi", "multiOneParent", "sequentialOneParent", "setDataOneNode"] as const;
export type OpName = (typeof OPS)[number];
/** One operation of client `client`; "exhausted" when there is nothing left for it to do (delete). */
export type Op = (client: number) => Promise<void | "exhausted">;

/** Any one request, whatever the target: past this it counts as an error. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Children of the getChildren parent. */
export const CHILDREN = 10;
export const DATA = Buffer.alloc(100, "x");

type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;
/** Runs the call once: no retries, no circuit breaker. */
const passThrough = {
  execute: (fn: (context: { signal: AbortSignal }) => unknown) => Promise.resolve().then(() => fn({ signal: new AbortController().signal })),
} as unknown as Policy;

/** One etcd3 client without etcd3's retry and breaker policies, as the service's own (lib/etcd/grpc.ts). */
export function rawEtcdClient(endpoint: string): Etcd3 {
  return new Etcd3({ hosts: endpoint, faultHandling: { host: () => passThrough, global: passThrough } });
}

export interface RawOps {
  /** Untimed: one data node per client, the children. */
  setup(): Promise<void>;
  /** Nodes create made that delete may remove. */
  created: number[];
  ops: Record<OpName, Op>;
}

/**
 * put (create, setData), get (getData, exists), prefix range keys-only
 * (getChildren), delete, a txn compare+2 puts (multi), a txn of 3 puts
 * (multiOneParent), all under `prefix`.
 */
export function rawEtcdOps(client: Etcd3, clients: number, prefix: string): RawOps {
  const k = (p: string) => `${prefix}${p}`;
  const created: number[] = [];
  let names = 0;
  const options = () => ({ deadline: Date.now() + REQUEST_TIMEOUT_MS });
  return {
    created,
    async setup() {
      for (let c = 0; c < clients; c++) await client.put(k(`/d/k-${c}`)).value(DATA).options(options());
      for (let i = 0; i < CHILDREN; i++) await client.put(k(`/kids/child-${i}`)).value("").options(options());
      await client.put(k("/kids")).value("").options(options());
    },
    ops: {
      create: async () => {
        const n = names++;
        await client.put(k(`/c/n-${n}`)).value(DATA).options(options());
        created.push(n);
      },
      getData: async (c) => {
        if ((await client.get(k(`/d/k-${c}`)).options(options()).buffer()) === null) throw new Error("etcd get: no value");
      },
      exists: async (c) => {
        if (!(await client.get(k(`/d/k-${c}`)).options(options()).exists())) throw new Error("etcd exists: no key");
      },
      getChildren: async () => {
        const keys = await client.getAll().prefix(k("/kids/")).options(options()).keys();
        if (keys.length !== CHILDREN) throw new Error(`etcd getChildren: ${keys.length} keys`);
      },
      setData: async (c) => void (await client.put(k(`/d/k-${c}`)).value(DATA).options(options())),
      delete: async () => {
        const n = created.pop();
        if (n === undefined) return "exhausted";
        await client.delete().key(k(`/c/n-${n}`)).options(options());
      },
      multi: async (c) => {
        const res = await client
          .if(k("/kids"), "Version", "==", 1)
          .then(client.put(k(`/m/n-${names++}`)).value(DATA), client.put(k(`/d/k-${c}`)).value(DATA))
          .options(options())
          .commit();
        if (!res.succeeded) throw new Error("etcd txn: compare failed");
      },
      multiOneParent: async () =>
        void (await client
          .if(k("/kids"), "Version", ">", 0)
          .then(...[0, 1, 2].map(() => client.put(k(`/p/n-${names++}`)).value(DATA)))
          .options(options())
          .commit()),
      // etcd has no sequential keys; the closest is a put whose name a counter gives.
      sequentialOneParent: async () => void (await client.put(k(`/s/n-${names++}`)).value(DATA).options(options())),
      setDataOneNode: async () => void (await client.put(k("/hot")).value(DATA).options(options())),
    },
  };
}
