// ZK-Node-Kind (docs/api.md, response headers): every read of one znode says
// how it lives, which ZooKeeper's Stat cannot (ephemeralOwner is 0 for
// containers and TTL nodes), on a real etcd over both transports.
import { describe, expect, test } from "vitest";
import { etcdPerFile } from "../support/suite.js";
import { service, TRANSPORTS } from "../support/service.js";

const etcd = etcdPerFile();

describe.each(TRANSPORTS)("ZK-Node-Kind over %s", (transport) => {
  test("names each kind on getData, exists, HEAD and getChildren, with the TTL of a TTL node", async () => {
    const svc = service(etcd.client(transport));
    const session = (await svc.call("POST", "/v1/sessions", { json: { timeoutMs: 10_000 } })).body.id;
    const made: [string, Record<string, unknown>, Record<string, string>][] = [
      ["/plain", {}, {}],
      ["/seq-", { mode: "persistent_sequential" }, {}],
      ["/eph", { mode: "ephemeral" }, { "ZK-Session": session }],
      ["/box", { mode: "container" }, {}],
      ["/ttl", { mode: "persistent_with_ttl", ttlMs: 60_000 }, {}],
    ];
    const paths: string[] = [];
    for (const [path, json, headers] of made) {
      const r = await svc.call("POST", `/v1/znodes${path}`, { json, headers });
      expect(r.status).toBe(201);
      paths.push(r.body.path);
    }
    const expected = ["persistent", "persistent", "ephemeral", "container", "ttl"];
    for (const [i, path] of paths.entries()) {
      for (const [method, query] of [["GET", ""], ["GET", "?view=stat"], ["GET", "?view=children"], ["HEAD", ""]] as const) {
        const r = await svc.call(method, `/v1/znodes${path}${query}`);
        expect(r.status).toBe(200);
        expect([path, method, query, r.headers.get("zk-node-kind")]).toEqual([path, method, query, expected[i]]);
        expect(r.headers.get("zk-ttl-ms")).toBe(expected[i] === "ttl" ? "60000" : null);
      }
    }
    // The Stat alone cannot tell a container or TTL node from a persistent one.
    expect((await svc.call("GET", "/v1/znodes/box?view=stat")).body.stat.ephemeralOwner).toBe("0");
    expect((await svc.call("GET", "/v1/znodes/?view=stat")).headers.get("zk-node-kind")).toBe("persistent");
    expect((await svc.call("GET", "/v1/znodes/missing?view=stat")).headers.get("zk-node-kind")).toBeNull();
  });
});
