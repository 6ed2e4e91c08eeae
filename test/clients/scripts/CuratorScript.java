// Apache Curator's recipes against one ZooKeeper ensemble (a real ZooKeeper
// or the front door): InterProcessMutex, LeaderLatch, DistributedAtomicLong,
// CuratorCache, and a transaction.
//
// Usage: java -cp CLASSPATH CuratorScript.java HOST:PORT checks|restart
// Prints one JSON object on the last line of stdout, like kazoo_script.py:
// {"checks": {name: {"ok": bool, "facts": {...}} | {"ok": false, "error": ...}}}.
// The restart mode creates an ephemeral, prints {"ready":...}, waits for a
// line on stdin (sent once the server has been restarted) and reports whether
// the client kept its session and the ephemeral.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;

public class CuratorScript {
    static String hosts;
    static final long WAIT_MS = 30_000;
    static final String ROOT = "/curator";

    interface Check { Map<String, Object> run(List<CuratorFramework> clients) throws Exception; }

    static CuratorFramework client(int sessionTimeoutMs) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.builder()
            .connectString(hosts)
            .sessionTimeoutMs(sessionTimeoutMs)
            .connectionTimeoutMs(15_000)
            .retryPolicy(new RetryNTimes(100, 200))
            .build();
        c.start();
        if (!c.blockUntilConnected((int) WAIT_MS, TimeUnit.MILLISECONDS)) throw new IllegalStateException("not connected");
        return c;
    }

    static void require(boolean cond, String what) {
        if (!cond) throw new AssertionError(what);
    }

    static void waitFor(BooleanSupplier cond, String what) throws InterruptedException {
        waitFor(cond, what, List.of());
    }

    /** Waits for cond; gives up at once when `failures` gets an entry. */
    static void waitFor(BooleanSupplier cond, String what, List<String> failures) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline) {
            if (cond.getAsBoolean()) return;
            if (!failures.isEmpty()) throw new AssertionError("waiting for " + what + ": " + failures);
            Thread.sleep(20);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    interface Body { void run() throws Exception; }

    static void runThreads(List<Body> bodies) throws InterruptedException {
        List<String> errors = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (Body b : bodies) {
            Thread t = new Thread(() -> {
                try { b.run(); } catch (Throwable e) { errors.add(e.toString()); }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join(WAIT_MS);
        for (Thread t : threads) require(!t.isAlive(), "thread still running");
        require(errors.isEmpty(), "thread errors: " + errors);
    }

    static Map<String, Object> mutex(List<CuratorFramework> clients) throws Exception {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger entries = new AtomicInteger();
        AtomicInteger reentered = new AtomicInteger();
        List<Body> bodies = new ArrayList<>();
        for (CuratorFramework c : clients) {
            for (int t = 0; t < 2; t++) {
                bodies.add(() -> {
                    InterProcessMutex m = new InterProcessMutex(c, ROOT + "/mutex");
                    for (int i = 0; i < 3; i++) {
                        require(m.acquire(WAIT_MS, TimeUnit.MILLISECONDS), "acquire");
                        try {
                            int held = now.incrementAndGet();
                            max.accumulateAndGet(held, Math::max);
                            entries.incrementAndGet();
                            // Reentrant: the holder takes it again without blocking.
                            require(m.acquire(WAIT_MS, TimeUnit.MILLISECONDS), "reacquire");
                            reentered.incrementAndGet();
                            m.release();
                            Thread.sleep(5);
                            now.decrementAndGet();
                        } finally {
                            m.release();
                        }
                    }
                });
            }
        }
        runThreads(bodies);
        require(max.get() == 1, "two holders at once");
        int expected = clients.size() * 2 * 3;
        require(entries.get() == expected && reentered.get() == expected, "entries " + entries.get());
        List<String> left = clients.get(0).getChildren().forPath(ROOT + "/mutex");
        require(left.isEmpty(), "lock nodes left behind: " + left);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("maxHolders", max.get());
        f.put("entries", entries.get());
        f.put("leftover", left.size());
        return f;
    }

    static Map<String, Object> leaderLatch(List<CuratorFramework> clients) throws Exception {
        List<LeaderLatch> latches = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            LeaderLatch l = new LeaderLatch(clients.get(i), ROOT + "/latch", "p" + i);
            latches.add(l);
            l.start();
        }
        List<String> leaders = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        List<LeaderLatch> open = new ArrayList<>(latches);
        while (!open.isEmpty()) {
            // Latches join asynchronously: wait until every open one has its node.
            waitFor(() -> open.stream().filter(LeaderLatch::hasLeadership).count() == 1 && participants(open.get(0)) == open.size(),
                "exactly one leader among all participants");
            LeaderLatch leader = open.stream().filter(LeaderLatch::hasLeadership).findFirst().get();
            // Every participant agrees on who leads.
            for (LeaderLatch l : open) require(l.getLeader().getId().equals(leader.getId()), "leader disagreement");
            counts.add(leader.getParticipants().size());
            leaders.add(leader.getId());
            open.remove(leader);
            leader.close();
        }
        List<String> sorted = new ArrayList<>(leaders);
        Collections.sort(sorted);
        require(sorted.equals(List.of("p0", "p1", "p2")), "leaders " + leaders);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("leaders", sorted);
        f.put("participantsSeen", counts);
        return f;
    }

    static int participants(LeaderLatch l) {
        try {
            return l.getParticipants().size();
        } catch (Exception e) {
            return -1;
        }
    }

    static Map<String, Object> atomicLong(List<CuratorFramework> clients) throws Exception {
        List<Body> bodies = new ArrayList<>();
        AtomicInteger failures = new AtomicInteger();
        for (CuratorFramework c : clients) {
            for (int t = 0; t < 2; t++) {
                bodies.add(() -> {
                    DistributedAtomicLong n = new DistributedAtomicLong(c, ROOT + "/long", new RetryNTimes(1000, 5));
                    for (int i = 0; i < 5; i++) {
                        if (!n.increment().succeeded()) failures.incrementAndGet();
                    }
                });
            }
        }
        runThreads(bodies);
        DistributedAtomicLong n = new DistributedAtomicLong(clients.get(0), ROOT + "/long", new RetryNTimes(10, 10));
        long value = n.get().postValue();
        require(failures.get() == 0, "failed increments: " + failures.get());
        require(value == clients.size() * 2 * 5, "value " + value);
        AtomicValue<Long> cas = n.compareAndSet(value, 100L);
        AtomicValue<Long> stale = n.compareAndSet(value, 200L);
        require(cas.succeeded() && !stale.succeeded(), "compareAndSet");
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("value", value);
        f.put("casOk", cas.succeeded());
        f.put("staleCasOk", stale.succeeded());
        f.put("after", n.get().postValue());
        return f;
    }

    static Map<String, Object> cache(List<CuratorFramework> clients) throws Exception {
        CuratorFramework writer = clients.get(1);
        writer.create().creatingParentsIfNeeded().forPath(ROOT + "/cache/pre", "p".getBytes(StandardCharsets.UTF_8));
        List<String> events = new CopyOnWriteArrayList<>();
        CountDownLatch initialized = new CountDownLatch(1);
        CuratorCache cache = CuratorCache.build(clients.get(0), ROOT + "/cache");
        cache.listenable().addListener(CuratorCacheListener.builder()
            .forCreates(n -> events.add("created " + n.getPath() + " " + new String(n.getData(), StandardCharsets.UTF_8)))
            .forChanges((o, n) -> events.add("changed " + n.getPath() + " " + new String(n.getData(), StandardCharsets.UTF_8)))
            .forDeletes(o -> events.add("deleted " + o.getPath()))
            .forInitialized(initialized::countDown)
            .build());
        // A healthy server never drops the connection meanwhile; a cache can
        // hide a drop by reloading, so the check watches for one.
        List<String> drops = new CopyOnWriteArrayList<>();
        org.apache.curator.framework.state.ConnectionStateListener onDrop = (cl, st) -> {
            if (st == ConnectionState.SUSPENDED || st == ConnectionState.LOST) drops.add(st.name());
        };
        clients.get(0).getConnectionStateListenable().addListener(onDrop);
        cache.start();
        try {
            Map<String, Object> f = observe(cache, writer, events, initialized, drops);
            require(drops.isEmpty(), "the connection dropped: " + drops);
            return f;
        } finally {
            cache.close();
            clients.get(0).getConnectionStateListenable().removeListener(onDrop);
        }
    }

    static Map<String, Object> observe(CuratorCache cache, CuratorFramework writer, List<String> events, CountDownLatch initialized, List<String> drops) throws Exception {
        waitFor(() -> initialized.getCount() == 0, "the cache to initialize", drops);
        int initial = events.size();
        writer.create().forPath(ROOT + "/cache/a", "1".getBytes(StandardCharsets.UTF_8));
        waitFor(() -> events.contains("created " + ROOT + "/cache/a 1"), "create event", drops);
        writer.setData().forPath(ROOT + "/cache/a", "2".getBytes(StandardCharsets.UTF_8));
        waitFor(() -> events.contains("changed " + ROOT + "/cache/a 2"), "change event", drops);
        writer.create().forPath(ROOT + "/cache/a/deep", "3".getBytes(StandardCharsets.UTF_8));
        waitFor(() -> events.contains("created " + ROOT + "/cache/a/deep 3"), "deep create event", drops);
        writer.delete().deletingChildrenIfNeeded().forPath(ROOT + "/cache/a");
        waitFor(() -> events.contains("deleted " + ROOT + "/cache/a"), "delete event", drops);
        waitFor(() -> events.contains("deleted " + ROOT + "/cache/a/deep"), "deep delete event", drops);
        require(cache.get(ROOT + "/cache/a").isEmpty() && cache.get(ROOT + "/cache/pre").isPresent(), "cache contents");
        List<String> initialEvents = new ArrayList<>(events.subList(0, initial));
        Collections.sort(initialEvents);
        List<String> later = new ArrayList<>(events.subList(initial, events.size()));
        // The two deletes may come in either order; the rest follows the writes.
        Collections.sort(later.subList(later.size() - 2, later.size()));
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("initial", initialEvents);
        f.put("events", later);
        return f;
    }

    static Map<String, Object> transaction(List<CuratorFramework> clients) throws Exception {
        CuratorFramework c = clients.get(0);
        c.create().forPath(ROOT + "/txn", "0".getBytes(StandardCharsets.UTF_8));
        CuratorOp create = c.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL).forPath(ROOT + "/txn/s-");
        CuratorOp check = c.transactionOp().check().withVersion(0).forPath(ROOT + "/txn");
        CuratorOp set = c.transactionOp().setData().withVersion(0).forPath(ROOT + "/txn", "1".getBytes(StandardCharsets.UTF_8));
        List<CuratorTransactionResult> results = c.transaction().forOperations(create, check, set);
        List<String> out = new ArrayList<>();
        for (CuratorTransactionResult r : results) out.add(r.getType() + " " + r.getForPath() + " " + r.getResultPath() + " " + r.getError());
        String failure;
        try {
            c.transaction().forOperations(
                c.transactionOp().create().forPath(ROOT + "/txn/x"),
                c.transactionOp().check().withVersion(0).forPath(ROOT + "/txn"));
            failure = "committed";
        } catch (org.apache.zookeeper.KeeperException e) {
            failure = e.code().name();
        }
        Stat stat = c.checkExists().forPath(ROOT + "/txn");
        require(c.checkExists().forPath(ROOT + "/txn/x") == null, "rolled back create is absent");
        require("BADVERSION".equals(failure), "failed txn: " + failure);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("results", out);
        f.put("failure", failure);
        f.put("version", stat.getVersion());
        f.put("numChildren", stat.getNumChildren());
        return f;
    }

    static Map<String, Object> nodes(List<CuratorFramework> clients) throws Exception {
        CuratorFramework c = clients.get(0);
        // Parents as containers (createContainer), a TTL node (createTTL), a protected ephemeral sequential.
        c.create().creatingParentContainersIfNeeded().forPath(ROOT + "/boxes/inner/leaf", "l".getBytes(StandardCharsets.UTF_8));
        c.create().withTtl(600_000).withMode(CreateMode.PERSISTENT_WITH_TTL).forPath(ROOT + "/ttl", "t".getBytes(StandardCharsets.UTF_8));
        String prot = c.create().withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(ROOT + "/boxes/p-");
        Stat box = c.checkExists().forPath(ROOT + "/boxes");
        Stat ttl = c.checkExists().forPath(ROOT + "/ttl");
        Stat eph = c.checkExists().forPath(prot);
        long session = c.getZookeeperClient().getZooKeeper().getSessionId();
        require(eph.getEphemeralOwner() == session, "protected node's owner");
        require(prot.matches(".*/_c_[0-9a-f-]{36}-p-\\d{10}"), "protected name " + prot);
        List<String> ephemerals = c.getZookeeperClient().getZooKeeper().getEphemerals(ROOT + "/boxes");
        int all = c.getZookeeperClient().getZooKeeper().getAllChildrenNumber(ROOT + "/boxes");
        c.delete().forPath(prot);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("boxOwner", Long.toHexString(box.getEphemeralOwner()));
        f.put("ttlOwner", Long.toHexString(ttl.getEphemeralOwner()));
        f.put("boxChildren", box.getNumChildren());
        f.put("ephemerals", ephemerals.size());
        f.put("allChildren", all);
        f.put("protectedSequence", prot.substring(prot.length() - 10));
        return f;
    }

    static Map<String, Object> sharedCount(List<CuratorFramework> clients) throws Exception {
        List<org.apache.curator.framework.recipes.shared.SharedCount> counts = new ArrayList<>();
        List<Integer> heard = new CopyOnWriteArrayList<>();
        for (CuratorFramework c : clients) {
            org.apache.curator.framework.recipes.shared.SharedCount sc = new org.apache.curator.framework.recipes.shared.SharedCount(c, ROOT + "/shared", 0);
            sc.start();
            counts.add(sc);
        }
        counts.get(2).addListener(new org.apache.curator.framework.recipes.shared.SharedCountListener() {
            public void countHasChanged(org.apache.curator.framework.recipes.shared.SharedCountReader r, int n) { heard.add(n); }
            public void stateChanged(CuratorFramework cl, ConnectionState s) {}
        });
        // Optimistic updates from every client: each retries with the version it last saw.
        List<Body> bodies = new ArrayList<>();
        for (org.apache.curator.framework.recipes.shared.SharedCount sc : counts) {
            bodies.add(() -> {
                for (int i = 0; i < 5; i++) {
                    while (true) {
                        org.apache.curator.framework.recipes.shared.VersionedValue<Integer> v = sc.getVersionedValue();
                        if (sc.trySetCount(v, v.getValue() + 1)) break;
                    }
                }
            });
        }
        runThreads(bodies);
        int expected = clients.size() * 5;
        waitFor(() -> counts.stream().allMatch(sc -> sc.getCount() == expected), "every client to see the count");
        waitFor(() -> heard.contains(expected), "the listener to hear the final count");
        for (org.apache.curator.framework.recipes.shared.SharedCount sc : counts) sc.close();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("count", expected);
        f.put("version", clients.get(0).checkExists().forPath(ROOT + "/shared").getVersion());
        return f;
    }

    static Map<String, Object> semaphore(List<CuratorFramework> clients) throws Exception {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        List<Body> bodies = new ArrayList<>();
        for (CuratorFramework c : clients) {
            for (int t = 0; t < 2; t++) {
                bodies.add(() -> {
                    org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2 sem =
                        new org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2(c, ROOT + "/semaphore", 2);
                    for (int i = 0; i < 2; i++) {
                        org.apache.curator.framework.recipes.locks.Lease lease = sem.acquire(WAIT_MS, TimeUnit.MILLISECONDS);
                        require(lease != null, "lease");
                        try {
                            max.accumulateAndGet(now.incrementAndGet(), Math::max);
                            Thread.sleep(10);
                            now.decrementAndGet();
                        } finally {
                            sem.returnLease(lease);
                        }
                    }
                });
            }
        }
        runThreads(bodies);
        require(max.get() <= 2, "more than two leases at once: " + max.get());
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("atMostTwo", max.get() <= 2);
        return f;
    }

    public static void main(String[] args) throws Exception {
        hosts = args[0];
        String mode = args.length > 1 ? args[1] : "checks";
        if (mode.equals("restart")) { restart(); return; }
        List<CuratorFramework> clients = new ArrayList<>();
        for (int i = 0; i < 3; i++) clients.add(client(10_000));
        clients.get(0).create().orSetData().forPath(ROOT);
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("mutex", CuratorScript::mutex);
        checks.put("leaderLatch", CuratorScript::leaderLatch);
        checks.put("atomicLong", CuratorScript::atomicLong);
        checks.put("transaction", CuratorScript::transaction);
        checks.put("nodes", CuratorScript::nodes);
        checks.put("sharedCount", CuratorScript::sharedCount);
        checks.put("semaphore", CuratorScript::semaphore);
        checks.put("cache", CuratorScript::cache);
        StringBuilder json = new StringBuilder("{\"checks\":{");
        boolean first = true;
        for (Map.Entry<String, Check> e : checks.entrySet()) {
            if (!first) json.append(',');
            first = false;
            json.append(str(e.getKey())).append(':');
            try {
                Map<String, Object> facts = e.getValue().run(clients);
                json.append("{\"ok\":true,\"facts\":").append(toJson(facts)).append('}');
            } catch (Throwable t) {
                json.append("{\"ok\":false,\"error\":").append(str(t.toString())).append('}');
            }
        }
        json.append("}}");
        for (CuratorFramework c : clients) c.close();
        System.out.println(json);
        System.exit(0);
    }

    static void restart() throws Exception {
        List<String> states = new CopyOnWriteArrayList<>();
        CuratorFramework c = client(30_000);
        c.getConnectionStateListenable().addListener((cl, s) -> {
            states.add(s.name());
            if (s == ConnectionState.SUSPENDED) {
                System.out.println("{\"suspended\":true}");
                System.out.flush();
            }
        });
        c.create().orSetData().forPath("/restart");
        String eph = c.create().withMode(CreateMode.EPHEMERAL).forPath("/restart/curator", "curator".getBytes(StandardCharsets.UTF_8));
        List<String> fired = new CopyOnWriteArrayList<>();
        c.getData().usingWatcher((org.apache.zookeeper.Watcher) e -> {
            if (e.getType() != org.apache.zookeeper.Watcher.Event.EventType.None) fired.add(e.getType() + " " + e.getPath());
        }).forPath(eph);
        long session = c.getZookeeperClient().getZooKeeper().getSessionId();
        System.out.println("{\"ready\":true,\"session\":\"" + Long.toHexString(session) + "\"}");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
        Map<String, Object> f = new LinkedHashMap<>();
        try {
            waitFor(() -> states.contains("SUSPENDED") && states.get(states.size() - 1).equals("RECONNECTED"), "reconnection");
            Stat stat = new Stat();
            byte[] data = c.getData().storingStatIn(stat).forPath(eph);
            c.setData().forPath(eph, "after".getBytes(StandardCharsets.UTF_8));
            waitFor(() -> !fired.isEmpty(), "the watch set before the restart");
            f.put("watchFired", List.of(fired.get(0).split(" ")));
            long now = c.getZookeeperClient().getZooKeeper().getSessionId();
            f.put("ok", now == session && stat.getEphemeralOwner() == session && !states.contains("LOST"));
            f.put("sameSession", now == session);
            f.put("ephemeralOwnerIsSession", stat.getEphemeralOwner() == session);
            f.put("data", new String(data, StandardCharsets.UTF_8));
            c.delete().forPath(eph);
        } catch (Throwable t) {
            f.put("ok", false);
            f.put("error", t.toString());
        }
        f.put("states", new ArrayList<>(states));
        c.close();
        System.out.println(toJson(f));
        System.exit(0);
    }

    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.append('"').toString();
    }

    static String toJson(Object o) {
        if (o == null) return "null";
        if (o instanceof String s) return str(s);
        if (o instanceof Number || o instanceof Boolean) return o.toString();
        if (o instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                b.append(str(e.getKey().toString())).append(':').append(toJson(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (o instanceof List<?> l) {
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(',');
                b.append(toJson(l.get(i)));
            }
            return b.append(']').toString();
        }
        return str(o.toString());
    }
}
