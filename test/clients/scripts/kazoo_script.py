"""kazoo's recipes, watches, transactions and a forced session expiry against
one ZooKeeper ensemble (a real ZooKeeper or the front door).

Usage: /usr/bin/python3 kazoo_script.py HOST:PORT checks
       /usr/bin/python3 kazoo_script.py HOST:PORT restart
Prints one JSON object on the last line of stdout: {"checks": {name: {...}}}
where every check carries "ok" (its own assertions held) and "facts" (outcomes
that are the same on every correct server, compared between targets). A check
that raises is reported with ok false and the error, and the others still run.

The restart mode creates an ephemeral, prints {"ready": ...} (and
{"suspended": true} whenever the connection drops), waits for a line on stdin
(sent once the server, or the front door's etcd, is back), then reports
whether the client got its session back with the ephemeral in place.
"""
import json
import os
import sys
import threading
import time
import traceback

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import (BadVersionError, NoAuthError, NoNodeError,
                              NodeExistsError, RolledBackError)
from kazoo.recipe.cache import TreeCache, TreeEvent
from kazoo.security import make_acl, make_digest_acl
from kazoo.protocol.states import EventType

HOSTS = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else "checks"
ROOT = "/kazoo"
WAIT = 30  # seconds any one condition may take on a loaded machine


def client(timeout=10.0, **kw):
    c = KazooClient(hosts=HOSTS, timeout=timeout, connection_retry={"max_tries": -1, "delay": 0.1, "max_delay": 1},
                    command_retry={"max_tries": 5, "delay": 0.1, "max_delay": 1}, **kw)
    c.start(timeout=WAIT)
    return c


def wait_for(cond, what):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def run_threads(fns):
    errors = []

    def wrap(fn):
        def go():
            try:
                fn()
            except BaseException as e:  # reported, not swallowed
                errors.append(repr(e))
        return go
    # Daemons: a thread stuck past WAIT fails its check and must not keep the script from exiting.
    ts = [threading.Thread(target=wrap(f), daemon=True) for f in fns]
    for t in ts:
        t.start()
    for t in ts:
        t.join(WAIT)
    check(not any(t.is_alive() for t in ts), "threads still running")
    check(not errors, "thread errors: %s" % errors)


def lock(clients):
    held = {"now": 0, "max": 0, "entries": 0}
    guard = threading.Lock()

    def worker(c, ident):
        def go():
            for _ in range(3):
                with c.Lock(ROOT + "/lock", ident):
                    with guard:
                        held["now"] += 1
                        held["max"] = max(held["max"], held["now"])
                        held["entries"] += 1
                    time.sleep(0.01)  # widen the window an overlap would need
                    with guard:
                        held["now"] -= 1
        return go
    run_threads([worker(c, "w%d" % i) for i, c in enumerate(clients)])
    check(held["max"] == 1, "two holders at once: %r" % held)
    check(held["entries"] == 3 * len(clients), "entries %r" % held)
    left = clients[0].get_children(ROOT + "/lock")
    check(left == [], "lock nodes left behind: %r" % left)
    return {"maxHolders": held["max"], "entries": held["entries"], "leftover": left}


def election(clients):
    leaders = []
    active = {"now": 0, "max": 0}
    guard = threading.Lock()

    def worker(c, ident):
        def lead():
            with guard:
                active["now"] += 1
                active["max"] = max(active["max"], active["now"])
                leaders.append(ident)
            time.sleep(0.05)
            with guard:
                active["now"] -= 1

        def go():
            c.Election(ROOT + "/election", ident).run(lead)
        return go
    run_threads([worker(c, "e%d" % i) for i, c in enumerate(clients)])
    check(sorted(leaders) == ["e%d" % i for i in range(len(clients))], "leaders %r" % leaders)
    check(active["max"] == 1, "two leaders at once")
    return {"leaders": sorted(leaders), "maxLeaders": active["max"]}


def counter(clients):
    def worker(c):
        def go():
            cnt = c.Counter(ROOT + "/counter")
            for _ in range(5):
                cnt += 1
        return go
    run_threads([worker(c) for c in clients for _ in range(2)])
    value = clients[0].Counter(ROOT + "/counter").value
    check(value == 5 * 2 * len(clients), "counter %r" % value)
    down = clients[1].Counter(ROOT + "/counter")
    down -= 7
    return {"value": value, "afterDecrement": down.value}


def barrier(clients):
    b = clients[0].Barrier(ROOT + "/barrier")
    b.create()
    passed = []

    def waiter(c, ident):
        def go():
            if c.Barrier(ROOT + "/barrier").wait(WAIT):
                passed.append(ident)
        return go
    ts = [threading.Thread(target=waiter(c, i), daemon=True) for i, c in enumerate(clients[1:])]
    for t in ts:
        t.start()
    # Nobody may pass a raised barrier. The pause only gives the waiters a
    # chance to (wrongly) pass; the outcome does not depend on its length.
    time.sleep(0.2)
    check(passed == [], "passed a raised barrier")
    b.remove()
    for t in ts:
        t.join(WAIT)
    check(sorted(passed) == list(range(len(clients) - 1)), "passed %r" % passed)

    # DoubleBarrier: nobody is inside until all three have entered.
    inside = []
    guard = threading.Lock()

    def party(c, ident):
        def go():
            db = c.DoubleBarrier(ROOT + "/double", len(clients))
            db.enter()
            with guard:
                inside.append(ident)
                seen = len(inside)
            check(seen >= 1, "entered")
            db.leave()
        return go
    run_threads([party(c, i) for i, c in enumerate(clients)])
    check(sorted(inside) == list(range(len(clients))), "inside %r" % inside)
    return {"passed": len(passed), "doubleEntered": len(inside)}


def queue(clients):
    q = clients[0].Queue(ROOT + "/queue")
    for item in [b"a", b"b", b"c"]:
        q.put(item)
    q.put(b"urgent", priority=10)
    q.put(b"first", priority=1)
    order = [clients[1].Queue(ROOT + "/queue").get() for _ in range(5)]
    check(order == [b"first", b"urgent", b"a", b"b", b"c"], "order %r" % order)
    check(clients[0].Queue(ROOT + "/queue").get() is None, "empty queue get")

    # LockingQueue: two consumers, every item taken exactly once.
    lq = clients[0].LockingQueue(ROOT + "/lqueue")
    items = [("item%02d" % i).encode() for i in range(12)]
    lq.put_all(items)
    got = []
    guard = threading.Lock()

    def consumer(c):
        def go():
            mine = c.LockingQueue(ROOT + "/lqueue")
            while True:
                item = mine.get(1)
                if item is None:
                    with guard:
                        if len(got) == len(items):
                            return
                    continue
                with guard:
                    got.append(item)
                check(mine.consume(), "consume")
        return go
    run_threads([consumer(c) for c in clients[1:]])
    check(sorted(got) == items, "got %r" % got)
    return {"priorityOrder": [x.decode() for x in order], "consumed": len(got), "distinct": len(set(got))}


def watches(clients):
    a, b = clients[0], clients[1]
    a.ensure_path(ROOT + "/watched")
    datas = []
    kids = []

    @a.DataWatch(ROOT + "/watched/node")
    def on_data(data, stat, event):
        datas.append((data.decode() if data is not None else None,
                      stat.version if stat else None,
                      event.type if event else None))

    @a.ChildrenWatch(ROOT + "/watched")
    def on_children(children):
        kids.append(sorted(children))

    wait_for(lambda: datas and kids, "initial calls")
    b.create(ROOT + "/watched/node", b"v0")
    wait_for(lambda: datas[-1][0] == "v0" and ["node"] in kids, "create seen")
    b.set(ROOT + "/watched/node", b"v1")
    wait_for(lambda: datas[-1][0] == "v1", "change seen")
    b.create(ROOT + "/watched/other", b"")
    wait_for(lambda: kids[-1] == ["node", "other"], "second child")
    b.delete(ROOT + "/watched/node")
    wait_for(lambda: datas[-1][0] is None and kids[-1] == ["other"], "delete seen")

    # A one-shot watch fires once, with the event's type and path.
    events = []
    fired = threading.Event()
    a.get(ROOT + "/watched/other", watch=lambda e: (events.append((e.type, e.path)), fired.set()))
    b.set(ROOT + "/watched/other", b"x")
    b.set(ROOT + "/watched/other", b"y")
    check(fired.wait(WAIT), "one-shot watch")
    b.sync(ROOT + "/watched/other")
    a.sync(ROOT + "/watched/other")
    check(events == [(EventType.CHANGED, ROOT + "/watched/other")], "one-shot events %r" % events)
    # The DataWatch dedups nothing: first None (absent), v0 created, v1 changed, None deleted.
    return {"data": [[d, v, t] for d, v, t in datas], "children": kids, "oneShot": [list(e) for e in events]}


def transactions(clients):
    c = clients[0]
    c.create(ROOT + "/txn", b"0")
    t = c.transaction()
    t.create(ROOT + "/txn/a", b"a")
    t.create(ROOT + "/txn/s-", b"s", sequence=True)
    t.check(ROOT + "/txn", 0)
    t.set_data(ROOT + "/txn", b"1", version=0)
    ok = t.commit()
    check(ok[0] == ROOT + "/txn/a" and ok[1] == ROOT + "/txn/s-0000000001", "created %r" % ok)
    check(ok[2] is True and ok[3].version == 1, "check and set %r" % ok)

    bad = c.transaction()
    bad.create(ROOT + "/txn/b", b"b")
    bad.delete(ROOT + "/txn/a", version=5)
    bad.create(ROOT + "/txn/a", b"dup")
    res = bad.commit()
    names = [type(r).__name__ for r in res]
    check(isinstance(res[0], RolledBackError) and isinstance(res[1], BadVersionError), "failed txn %r" % names)
    check(c.exists(ROOT + "/txn/b") is None, "rolled back create is absent")
    data, stat = c.get(ROOT + "/txn")
    return {"committed": [ok[0], ok[1], ok[2], ok[3].version], "failed": names,
            "after": [data.decode(), stat.version, stat.numChildren, stat.cversion]}


def basics(clients):
    c = clients[0]
    path = c.create(ROOT + "/basic", b"hi", makepath=True)
    try:
        c.create(ROOT + "/basic", b"again")
        dup = "created twice"
    except NodeExistsError:
        dup = "NodeExistsError"
    try:
        c.get(ROOT + "/nope")
        missing = "found"
    except NoNodeError:
        missing = "NoNodeError"
    stat = c.set(ROOT + "/basic", b"there")
    eph = c.create(ROOT + "/basic/e", b"", ephemeral=True)
    seq = c.create(ROOT + "/basic/q-", b"", sequence=True)
    _, estat = c.get(eph)
    check(estat.ephemeralOwner == c.client_id[0], "ephemeral owner")
    c.delete(eph)
    c.delete(seq)
    c.delete(ROOT + "/basic")
    return {"path": path, "dup": dup, "missing": missing, "version": stat.version, "seq": seq}


def acls(clients):
    owner, other = clients[0], clients[1]
    owner.add_auth("digest", "alice:secret")
    path = owner.create(ROOT + "/private", b"secret", acl=[make_digest_acl("alice", "secret", all=True),
                                                          make_acl("world", "anyone", read=True)])
    try:
        other.set(path, b"mine")
        denied = "written"
    except NoAuthError:
        denied = "NoAuthError"
    # The other client has no ADMIN here: digests read back as user:x.
    acl, stat = other.get_acls(path)
    check(denied == "NoAuthError", "a reader wrote")
    owner.set_acls(path, [make_acl("world", "anyone", all=True)], version=0)
    after = other.set(path, b"mine")
    owner.delete(path)
    return {"denied": denied, "acl": sorted("%s:%s:%d" % (a.id.scheme, a.id.id, a.perms) for a in acl),
            "aversion": stat.aversion, "versionAfterWrite": after.version}


def tree_cache(clients):
    a, b = clients[0], clients[1]
    a.ensure_path(ROOT + "/tree")
    events = []
    cache = TreeCache(a, ROOT + "/tree")
    cache.listen(lambda e: events.append((e.event_type, e.event_data.path if e.event_data else None)))
    cache.start()
    wait_for(lambda: any(t == TreeEvent.INITIALIZED for t, _ in events), "initialized")
    # Waits on the listener's events, which come after the cache's own state changes.
    heard = lambda kind, path: any(t == kind and p == path for t, p in events)
    b.create(ROOT + "/tree/x/y", b"1", makepath=True)
    wait_for(lambda: heard(TreeEvent.NODE_ADDED, ROOT + "/tree/x") and heard(TreeEvent.NODE_ADDED, ROOT + "/tree/x/y"), "both added")
    b.set(ROOT + "/tree/x/y", b"2")
    wait_for(lambda: heard(TreeEvent.NODE_UPDATED, ROOT + "/tree/x/y"), "deep node updated")
    b.delete(ROOT + "/tree/x", recursive=True)
    wait_for(lambda: heard(TreeEvent.NODE_REMOVED, ROOT + "/tree/x/y") and heard(TreeEvent.NODE_REMOVED, ROOT + "/tree/x"), "both removed")
    check(cache.get_children(ROOT + "/tree") == frozenset(), "the cache still holds %r" % cache.get_children(ROOT + "/tree"))
    cache.close()
    names = {TreeEvent.NODE_ADDED: "added", TreeEvent.NODE_UPDATED: "updated", TreeEvent.NODE_REMOVED: "removed",
             TreeEvent.INITIALIZED: "initialized", TreeEvent.CONNECTION_SUSPENDED: "suspended",
             TreeEvent.CONNECTION_RECONNECTED: "reconnected", TreeEvent.CONNECTION_LOST: "lost"}
    # Sorted: the cache's own refreshes may order sibling events either way.
    seen = sorted(([names.get(t, str(t)), p] for t, p in events), key=str)
    check(["updated", ROOT + "/tree/x/y"] in seen, "update event")
    return {"events": seen}


def semaphore(clients):
    held = {"now": 0, "max": 0}
    guard = threading.Lock()

    def worker(c, ident):
        def go():
            for _ in range(2):
                with c.Semaphore(ROOT + "/semaphore", ident, max_leases=2):
                    with guard:
                        held["now"] += 1
                        held["max"] = max(held["max"], held["now"])
                    time.sleep(0.02)
                    with guard:
                        held["now"] -= 1
        return go
    run_threads([worker(c, "s%d%d" % (i, j)) for i, c in enumerate(clients) for j in range(2)])
    check(held["max"] <= 2, "more than two leases at once: %r" % held)
    return {"atMostTwo": held["max"] <= 2}


def expiry(_clients):
    victim = client(timeout=10.0)
    observer = client()
    states = []
    lost = threading.Event()

    def listener(state):
        states.append(state)
        if state == KazooState.LOST:
            lost.set()
    victim.add_listener(listener)
    victim.ensure_path(ROOT + "/expiry")
    eph = victim.create(ROOT + "/expiry/mine", b"", ephemeral=True)
    old_id = victim.client_id[0]

    # ZooKeeper's own test harnesses expire a session this way: a second
    # client attaches to it with its id and password and closes it.
    twin = KazooClient(hosts=HOSTS, client_id=victim.client_id, timeout=10.0)
    twin.start(timeout=WAIT)
    twin_same = twin.client_id[0] == old_id
    twin.stop()
    twin.close()

    check(lost.wait(WAIT), "the victim never saw its session lost; states %r" % states)
    wait_for(lambda: observer.exists(eph) is None, "the ephemeral to go")
    # kazoo starts a new session after LOST; it must be a different one.
    wait_for(lambda: victim.state == KazooState.CONNECTED, "the victim to reconnect")
    new_id = victim.client_id[0]
    victim.stop()
    victim.close()
    observer.stop()
    observer.close()
    check(twin_same, "the twin got another session")
    check(new_id != old_id, "same session after expiry")
    return {"twinSameSession": twin_same, "sawLost": KazooState.LOST in states,
            "ephemeralGone": True, "newSession": new_id != old_id}


CHECKS = [basics, lock, election, counter, barrier, queue, semaphore, watches, tree_cache, transactions, acls, expiry]


def main_checks():
    clients = [client() for _ in range(3)]
    clients[0].ensure_path(ROOT)
    out = {}
    for fn in CHECKS:
        try:
            out[fn.__name__] = {"ok": True, "facts": fn(clients)}
        except BaseException as e:
            out[fn.__name__] = {"ok": False, "error": "%s: %s" % (type(e).__name__, e),
                                "trace": traceback.format_exc()[-1500:]}
    for c in clients:
        c.stop()
        c.close()
    print(json.dumps({"checks": out}, default=str))


def main_restart():
    states = []
    c = KazooClient(hosts=HOSTS, timeout=30.0, connection_retry={"max_tries": -1, "delay": 0.1, "max_delay": 0.5})

    def listener(state):
        states.append(state)
        if state == KazooState.SUSPENDED:
            print(json.dumps({"suspended": True}), flush=True)
    c.add_listener(listener)
    c.start(timeout=WAIT)
    c.ensure_path("/restart")
    eph = c.create("/restart/kazoo", b"kazoo", ephemeral=True)
    # kazoo drops one-shot watches when a connection drops (it hands them a
    # NONE event) and sends no setWatches; its DataWatch re-reads and re-arms
    # on reconnecting instead, so it sees the write after the reconnect either
    # as an event or in that re-read. (Curator's script covers setWatches.)
    fired = []
    c.DataWatch(eph, lambda data, stat: fired.append([data.decode(), eph]) if data == b"after" else None)
    session = c.client_id[0]
    print(json.dumps({"ready": True, "session": "%x" % session}), flush=True)
    sys.stdin.readline()  # the server has been restarted
    out = {"ok": False}
    try:
        wait_for(lambda: KazooState.SUSPENDED in states and c.state == KazooState.CONNECTED, "reconnection")
        data, stat = c.get(eph)
        c.set(eph, b"after")
        wait_for(lambda: fired, "the watch set before the restart")
        out = {"ok": c.client_id[0] == session and stat.ephemeralOwner == session and KazooState.LOST not in states,
               "sameSession": c.client_id[0] == session, "ephemeralOwnerIsSession": stat.ephemeralOwner == session,
               "data": data.decode(), "watchFired": fired[0], "states": [str(s) for s in states]}
        c.delete(eph)
    except BaseException as e:
        out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e), "states": [str(s) for s in states]}
    c.stop()
    c.close()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main_checks() if MODE == "checks" else main_restart()
    sys.stdout.flush()
    # The summary is out: leave even if a recipe's thread is still stuck.
    os._exit(0)
