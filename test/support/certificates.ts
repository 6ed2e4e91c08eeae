// Test helper: a throwaway CA and the certificates etcd and its clients present,
// made with openssl in a temp dir; and a fetch that trusts that CA and
// presents the client certificate (what Node's own fetch cannot be told to do).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  /** File paths, for etcd, etcdctl and the ETCD_*_FILE variables. */
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** PEM text of the same. */
  ca: string;
  clientCert: string;
  clientKey: string;
  remove(): Promise<void>;
}

// Both for 127.0.0.1, which is what the tests dial. The client certificate has
// no Common Name: etcd's JSON gateway refuses one that has (it could not pass
// the name on as the etcd user), and the gRPC side would log in as that name.
const EXTENSIONS = `
[server]
subjectAltName = IP:127.0.0.1
extendedKeyUsage = serverAuth, clientAuth
[client]
subjectAltName = IP:127.0.0.1
extendedKeyUsage = clientAuth
`;

/** A CA, a server certificate and a client certificate signed by it. */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "etcd-certs-"));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  // EC keys: quick to generate, and etcd and every client here take them.
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    await writeFile(f("ext.cnf"), EXTENSIONS);
    await openssl("req", "-x509", ...key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=zk-etcd test CA");
    for (const [name, subject] of [["server", "/CN=127.0.0.1"], ["client", "/O=zk-etcd tests"]] as const) {
      await openssl("req", ...key, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
      await openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", "ext.cnf", "-extensions", name);
    }
    return {
      dir,
      caFile: f("ca.crt"),
      serverCertFile: f("server.crt"),
      serverKeyFile: f("server.key"),
      clientCertFile: f("client.crt"),
      clientKeyFile: f("client.key"),
      ca: await readFile(f("ca.crt"), "utf8"),
      clientCert: await readFile(f("client.crt"), "utf8"),
      clientKey: await readFile(f("client.key"), "utf8"),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A fetch over node:https that trusts `ca` and, when given, presents a client
 * certificate: in Node it plays the part of a Worker's mTLS certificate
 * binding. Enough of fetch for the gateway transport: string bodies, abort
 * signals, streamed answers, and failures shaped like Node's fetch's
 * ("fetch failed" with the cause carrying the code).
 */
export function tlsFetch(tls: { ca: string; cert?: string; key?: string }): typeof fetch {
  const agent = new https.Agent({ ...tls, keepAlive: true });
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers = Object.fromEntries(new Headers(init?.headers));
      const signal = init?.signal ?? undefined;
      // servername "": no SNI, which TLS does not allow for an IP address (Node warns otherwise).
      const req = https.request(url, { method: init?.method ?? "GET", headers, agent, signal, servername: "" }, (res) => {
        const answerHeaders = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) answerHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        resolve(new Response(Readable.toWeb(res) as ReadableStream, { status: res.statusCode!, headers: answerHeaders }));
      });
      req.on("error", (e: Error & { code?: string }) => {
        reject(e.name === "AbortError" ? e : Object.assign(new TypeError("fetch failed"), { cause: e }));
      });
      if (init?.body != null) req.write(String(init.body));
      req.end();
    });
}
