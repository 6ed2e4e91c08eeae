// The web console's browser program. It is written as one function so that
// assets.ts can ship its source text (Function.prototype.toString) as
// /ui/app.js: no build step, the same bytes under tsx, esbuild and wrangler,
// and `tsc` type-checks it against the DOM (functions/console/tsconfig.json).
// It must therefore use nothing from outside itself except browser globals and
// the helpers of format.ts, whose source is shipped beside it.
//
// It speaks only the public HTTP API (docs/api.md), with the Basic
// credentials the user typed, kept in sessionStorage for the tab.
import {
  ancestry,
  base64ToBytes,
  baseName,
  basicAuth,
  bytesToBase64,
  encodePath,
  hexDump,
  hexToBytes,
  int64Hex,
  joinPath,
  localTime,
  looksSequential,
  parentOf,
  parseSseBlock,
  permsText,
  prettyJson,
  utf8OrNull,
} from "./format.js";

export function consoleApp(): void {
  interface Stat {
    czxid: string;
    mzxid: string;
    pzxid: string;
    ctime: number;
    mtime: number;
    version: number;
    cversion: number;
    aversion: number;
    ephemeralOwner: string;
    dataLength: number;
    numChildren: number;
  }
  interface AclEntry {
    perms: string;
    scheme: string;
    id: string;
  }
  interface ApiErrorBody {
    code?: string;
    zkCode?: number | null;
    message?: string;
    path?: string;
  }
  /** A znode the tree knows: its stat once read, its children once listed. */
  interface TreeNode {
    path: string;
    stat?: Stat;
    /** ZK-Node-Kind: persistent, ephemeral, container or ttl. */
    kind?: string;
    ttlMs?: string;
    children?: string[];
    expanded: boolean;
    noauth: boolean;
    error?: string;
    /** How many children to show (long lists grow by PAGE). */
    shown: number;
  }
  interface OpenNode {
    path: string;
    stat?: Stat;
    data?: Uint8Array;
    dataError?: ApiError;
    acl?: AclEntry[];
    aclError?: ApiError;
    children?: string[];
    childrenError?: ApiError;
    missing?: boolean;
  }
  interface ZkEvent {
    type: string;
    path: string;
    zxid: string;
  }

  class ApiError extends Error {
    constructor(
      readonly status: number,
      readonly code: string,
      message: string,
    ) {
      super(message);
    }
  }

  const AUTH_KEY = "zk-console-auth";
  const PAGE = 200;
  const MAX_EVENTS = 200;
  const READ_ATTEMPTS = 3;
  const MAX_DELETE = 1000;

  const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`#${id} is missing from the page`);
    return el as T;
  };

  /** An element with attributes (on* as listeners) and children. */
  function h(tag: string, attrs: Record<string, unknown> = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElement {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
      else if (k === "class") el.className = String(v);
      else if (k === "text") el.textContent = String(v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
    return el;
  }

  const state = {
    auth: null as string | null,
    user: "",
    tree: new Map<string, TreeNode>(),
    selected: "/",
    filter: "",
    open: null as OpenNode | null,
    /** Bumped on every openNode, so a slow answer for a node no longer open is dropped. */
    openSeq: 0,
    editing: null as { version: number; path: string } | null,
    aclEditing: null as { aversion: number; path: string } | null,
    format: "text",
    session: null as { id: string; timeoutMs: number; timer: number } | null,
    owners: new Set<string>(),
    events: [] as (ZkEvent & { at: number })[],
    streamFrom: null as string | null,
    stream: null as AbortController | null,
    statsTimer: 0,
  };

  // ---- the API ------------------------------------------------------------

  function authHeaders(): Record<string, string> {
    return state.auth ? { Authorization: state.auth } : {};
  }

  interface Reply<T> {
    body: T;
    headers: Headers;
  }

  /**
   * One API call. credentials "omit" keeps the browser from showing its own
   * Basic dialog on a 401: the page asks for credentials itself.
   */
  async function api<T = unknown>(method: string, url: string, init: { json?: unknown; headers?: Record<string, string>; admin?: boolean } = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...authHeaders(), ...init.headers };
    let body: string | undefined;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers["Content-Type"] = "application/json";
    }
    const res = await fetchRetrying(method, url, { method, headers, body, credentials: "omit", cache: "no-store" });
    const zxid = res.headers.get("ZK-Zxid");
    if (state.streamFrom === null && zxid !== null && zxid !== "-1") state.streamFrom = zxid;
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) {
      const e = (parsed && typeof parsed === "object" ? parsed : {}) as ApiErrorBody;
      const err = new ApiError(res.status, e.code ?? `HTTP ${res.status}`, e.message ?? String(parsed ?? res.statusText));
      // A 401 from the admin route says these are not admin credentials, not that they are wrong.
      if (res.status === 401 && !init.admin) onUnauthorized(err);
      throw err;
    }
    return { body: parsed as T, headers: res.headers };
  }

  /**
   * A read meeting a moment of unavailability (503, 504, no answer) is tried
   * again a few times, after the Retry-After asked for; a write is not, since
   * whether it happened is unknown.
   */
  async function fetchRetrying(method: string, url: string, init: RequestInit): Promise<Response> {
    const read = method === "GET" || method === "HEAD" || url === "/v1/multi/read";
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, init);
      } catch (e) {
        if (!read || attempt >= READ_ATTEMPTS) throw e;
        await sleep(250 * attempt);
        continue;
      }
      if (!read || attempt >= READ_ATTEMPTS || (res.status !== 503 && res.status !== 504)) return res;
      void res.body?.cancel();
      const after = Number(res.headers.get("Retry-After"));
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 2000) : 250 * attempt);
    }
  }

  const sleep = (ms: number) => new Promise((resolve) => window.setTimeout(resolve, ms));

  const znodeUrl = (path: string, query = "") => `/v1/znodes${encodePath(path)}${query}`;

  function describe(e: unknown): string {
    if (e instanceof ApiError) return `${e.code}: ${e.message}`;
    return e instanceof Error ? e.message : String(e);
  }

  // ---- sign in --------------------------------------------------------------

  function onUnauthorized(err: ApiError): void {
    sessionStorage.removeItem(AUTH_KEY);
    showLogin(`${err.code}: ${err.message}`);
  }

  function showLogin(message?: string): void {
    state.stream?.abort();
    state.stream = null;
    window.clearInterval(state.statsTimer);
    $("app").hidden = true;
    $("login").hidden = false;
    const err = $("login-error");
    err.hidden = !message;
    err.textContent = message ?? "";
    $<HTMLInputElement>("login-user").focus();
  }

  async function signIn(auth: string, user: string): Promise<void> {
    state.auth = auth;
    state.user = user;
    // exists needs no permission on the znode, so this tests only the
    // credentials; /v1/stats would also need the admin credential.
    try {
      await api("GET", znodeUrl("/", "?view=stat"));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) showLogin(describe(e));
      return;
    }
    sessionStorage.setItem(AUTH_KEY, JSON.stringify({ auth, user }));
    $("login").hidden = true;
    $("app").hidden = false;
    $("who").textContent = user ? `signed in as ${user}` : "anonymous";
    $("signout").hidden = false;
    void start();
  }

  // ---- the tree ------------------------------------------------------------

  function treeNode(path: string): TreeNode {
    let n = state.tree.get(path);
    if (!n) {
      n = { path, expanded: false, noauth: false, shown: PAGE };
      state.tree.set(path, n);
    }
    return n;
  }

  function noteStat(path: string, stat: Stat): void {
    treeNode(path).stat = stat;
    if (stat.ephemeralOwner !== "0" && !state.owners.has(stat.ephemeralOwner)) {
      state.owners.add(stat.ephemeralOwner);
      renderOwners();
    }
  }

  /** Lists a node's children, then reads the stats of the ones shown in one multi read. */
  async function loadChildren(path: string): Promise<void> {
    const node = treeNode(path);
    try {
      const { body, headers } = await api<{ children: string[]; stat: Stat }>("GET", znodeUrl(path, "?view=children"));
      noteKind(path, headers);
      node.children = body.children;
      node.noauth = false;
      node.error = undefined;
      noteStat(path, body.stat);
    } catch (e) {
      node.children = undefined;
      if (e instanceof ApiError && e.code === "NOAUTH") node.noauth = true;
      else if (e instanceof ApiError && e.code === "NONODE") forget(path);
      else node.error = describe(e);
      renderTree();
      return;
    }
    try {
      await loadChildStats(path);
    } catch (e) {
      node.error = `children's stats: ${describe(e)}`;
    }
    renderTree();
  }

  async function loadChildStats(path: string): Promise<void> {
    const node = treeNode(path);
    const shown = (node.children ?? []).slice(0, node.shown).map((n) => joinPath(path, n));
    // The Stat cannot tell containers and TTL nodes from persistent ones: HEAD says which (ZK-Node-Kind).
    const kinds = eachLimited(
      shown.filter((p) => !state.tree.get(p)?.kind),
      6,
      async (p) => {
        try {
          noteKind(p, (await api("HEAD", znodeUrl(p))).headers);
        } catch {
          // Gone meanwhile: the next listing drops it.
        }
      },
    );
    const names = shown.filter((p) => !state.tree.get(p)?.stat).map(baseName);
    if (names.length === 0) return kinds;
    const ops = names.map((n) => ({ op: "getChildren", path: joinPath(path, n) }));
    const { body } = await api<{ results: { path: string; stat?: Stat; error?: ApiErrorBody }[] }>("POST", "/v1/multi/read", { json: { ops } });
    const denied: string[] = [];
    for (const r of body.results) {
      if (r.stat) noteStat(r.path, r.stat);
      else if (r.error?.code === "NOAUTH") {
        treeNode(r.path).noauth = true;
        denied.push(r.path);
      }
    }
    // exists needs no permission, so even a node the caller may not read has a count.
    await Promise.all(
      denied.map(async (p) => {
        try {
          const { body: s } = await api<{ stat: Stat }>("GET", znodeUrl(p, "?view=stat"));
          noteStat(p, s.stat);
        } catch {
          // Gone meanwhile: the next listing drops it.
        }
      }),
    );
    await kinds;
  }

  function noteKind(path: string, headers: Headers): void {
    const kind = headers.get("ZK-Node-Kind");
    if (!kind) return;
    const node = treeNode(path);
    node.kind = kind;
    node.ttlMs = headers.get("ZK-TTL-Ms") ?? undefined;
  }

  /** Runs fn over items, at most `limit` at a time. */
  async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  }

  function forget(path: string): void {
    for (const p of [...state.tree.keys()]) if (p === path || p.startsWith(path === "/" ? "/" : path + "/")) state.tree.delete(p);
  }

  async function expand(path: string, open = true): Promise<void> {
    const node = treeNode(path);
    node.expanded = open;
    if (open && node.children === undefined) await loadChildren(path);
    renderTree();
  }

  /** Whether a node or something loaded below it matches the filter. */
  function matches(path: string): boolean {
    if (!state.filter) return true;
    if (baseName(path).toLowerCase().includes(state.filter)) return true;
    const n = state.tree.get(path);
    return !!n?.children?.some((c) => matches(joinPath(path, c)));
  }

  function marks(path: string, node: TreeNode | undefined): HTMLElement[] {
    const out: HTMLElement[] = [];
    if (node?.stat && node.stat.ephemeralOwner !== "0") out.push(h("span", { class: "mark m-eph", title: `ephemeral, session ${node.stat.ephemeralOwner}`, text: "E" }));
    if (node?.kind === "container") out.push(h("span", { class: "mark m-con", title: "container: removed once it has had children and has none", text: "C" }));
    if (node?.kind === "ttl") out.push(h("span", { class: "mark m-ttl", title: `TTL ${node.ttlMs} ms: removed once childless and unchanged that long`, text: "TTL" }));
    if (path !== "/" && looksSequential(baseName(path))) out.push(h("span", { class: "mark m-seq", title: "sequential name (ten-digit suffix)", text: "S" }));
    if (node?.noauth) out.push(h("span", { class: "mark m-noauth", title: "NOAUTH: no READ permission", text: "NOAUTH" }));
    return out;
  }

  function renderItem(path: string, level: number): HTMLElement | null {
    if (!matches(path)) return null;
    const node = state.tree.get(path);
    const count = node?.stat?.numChildren;
    const hasKids = count === undefined ? !node?.noauth : count > 0;
    const expanded = !!node?.expanded && hasKids;
    const li = h("li", {
      role: "treeitem",
      "data-path": path,
      "aria-level": level,
      "aria-selected": path === state.selected ? "true" : "false",
      "aria-expanded": hasKids ? String(expanded) : undefined,
      tabindex: path === state.selected ? "0" : "-1",
    });
    const twisty = h("span", { class: "tw", "aria-hidden": "true", text: hasKids ? (expanded ? "▾" : "▸") : "·" });
    li.append(
      h(
        "div",
        { class: "ti" },
        twisty,
        h("span", { class: "nm", text: baseName(path) }),
        ...marks(path, node),
        count !== undefined && count > 0 ? h("span", { class: "count", title: `${count} children`, text: String(count) }) : null,
      ),
    );
    if (expanded) {
      const group = h("ul", { role: "group" });
      if (node?.error) group.append(h("li", { role: "none", class: "hint", text: node.error }));
      const kids = node?.children ?? [];
      for (const name of kids.slice(0, node?.shown ?? PAGE)) {
        const item = renderItem(joinPath(path, name), level + 1);
        if (item) group.append(item);
      }
      if (node && kids.length > node.shown) {
        group.append(
          h(
            "li",
            { role: "none" },
            h("button", {
              type: "button",
              class: "more secondary",
              "data-more": path,
              text: `show ${Math.min(PAGE, kids.length - node.shown)} more of ${kids.length - node.shown}`,
            }),
          ),
        );
      }
      li.append(group);
    }
    return li;
  }

  function renderTree(): void {
    const tree = $("tree");
    const hadFocus = tree.contains(document.activeElement);
    const focused = (document.activeElement as HTMLElement | null)?.closest?.("[role=treeitem]")?.getAttribute("data-path");
    const root = renderItem("/", 1);
    if (root && !root.querySelector("[tabindex='0']")) root.setAttribute("tabindex", "0");
    // Live updates re-render often: rows are patched in place, not replaced,
    // since a row replaced between mousedown and mouseup swallows the click.
    const current = tree.firstElementChild;
    if (root && current && tree.childElementCount === 1 && sameKind(current, root)) patch(current, root);
    else tree.replaceChildren(...(root ? [root] : []));
    if (hadFocus && focused && !tree.contains(document.activeElement)) itemOf(focused)?.focus();
  }

  /** Two nodes one can be patched into the other: same tag, and the same row (data-path) if either is one. */
  function sameKind(a: Node, b: Node): boolean {
    if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
    return !(a instanceof Element) || a.getAttribute("data-path") === (b as Element).getAttribute("data-path");
  }

  /** Makes `old` equal to `next`, keeping every element of it that stands for the same thing. */
  function patch(old: Element, next: Element): void {
    for (const a of [...old.attributes]) if (!next.hasAttribute(a.name)) old.removeAttribute(a.name);
    for (const a of [...next.attributes]) if (old.getAttribute(a.name) !== a.value) old.setAttribute(a.name, a.value);
    // Rows are found by path wherever they were; other children by position.
    const rows = new Map<string, Element>();
    for (const c of old.children) {
      const path = c.getAttribute("data-path");
      if (path !== null) rows.set(path, c);
    }
    const kids = [...next.childNodes].map((n, i) => {
      const path = n instanceof Element ? n.getAttribute("data-path") : null;
      const mate = path !== null ? rows.get(path) : old.childNodes[i];
      if (!mate || !sameKind(mate, n)) return n;
      if (mate instanceof Element) patch(mate, n as Element);
      else if (mate.nodeValue !== n.nodeValue) mate.nodeValue = n.nodeValue;
      return mate;
    });
    kids.forEach((k, i) => {
      if (old.childNodes[i] !== k) old.insertBefore(k, old.childNodes[i] ?? null);
    });
    while (old.childNodes.length > kids.length) old.lastChild!.remove();
  }

  /** One listener for the whole tree: rows are re-rendered, the listener stays. */
  function onTreeClick(ev: MouseEvent): void {
    const target = ev.target as HTMLElement;
    const more = target.closest<HTMLElement>("[data-more]");
    if (more) {
      const path = more.getAttribute("data-more")!;
      const node = treeNode(path);
      node.shown += PAGE;
      void loadChildStats(path).then(renderTree, renderTree);
      return;
    }
    const item = target.closest("[role=treeitem]");
    if (!item) return;
    const path = item.getAttribute("data-path")!;
    if (target.closest(".tw")) void expand(path, item.getAttribute("aria-expanded") !== "true");
    else void openNode(path);
  }

  function itemOf(path: string): HTMLElement | null {
    return $("tree").querySelector(`[role=treeitem][data-path="${CSS.escape(path)}"]`);
  }

  function focusItem(el: Element | null | undefined): void {
    if (!(el instanceof HTMLElement)) return;
    for (const other of $("tree").querySelectorAll("[role=treeitem][tabindex='0']")) other.setAttribute("tabindex", "-1");
    el.setAttribute("tabindex", "0");
    el.focus();
  }

  function onTreeKey(ev: KeyboardEvent): void {
    // A button inside the tree ("show more") keeps its own keys.
    if ((ev.target as HTMLElement).tagName === "BUTTON") return;
    const current = (ev.target as HTMLElement).closest("[role=treeitem]");
    if (!current) return;
    const path = current.getAttribute("data-path")!;
    const items = [...$("tree").querySelectorAll("[role=treeitem]")];
    const i = items.indexOf(current);
    const expanded = current.getAttribute("aria-expanded");
    switch (ev.key) {
      case "ArrowDown":
        focusItem(items[i + 1]);
        break;
      case "ArrowUp":
        focusItem(items[i - 1]);
        break;
      case "Home":
        focusItem(items[0]);
        break;
      case "End":
        focusItem(items[items.length - 1]);
        break;
      case "ArrowRight":
        if (expanded === "false") void expand(path, true);
        else if (expanded === "true") focusItem(current.querySelector("[role=treeitem]"));
        break;
      case "ArrowLeft":
        if (expanded === "true") void expand(path, false);
        else focusItem(current.parentElement?.closest("[role=treeitem]"));
        break;
      case "Enter":
      case " ":
        void openNode(path);
        break;
      default:
        return;
    }
    ev.preventDefault();
  }

  // ---- the open node -------------------------------------------------------

  function uiUrl(path: string): string {
    return path === "/" ? "/ui" : `/ui?path=${encodePath(path)}`;
  }

  async function openNode(path: string, history: "push" | "replace" | "none" = "push"): Promise<void> {
    if (!path.startsWith("/")) path = "/" + path;
    if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
    if (history === "push" && location.pathname + location.search !== uiUrl(path)) window.history.pushState({ path }, "", uiUrl(path));
    else if (history === "replace") window.history.replaceState({ path }, "", uiUrl(path));
    const seq = ++state.openSeq;
    state.selected = path;
    state.editing = null;
    state.aclEditing = null;
    $<HTMLInputElement>("path-input").value = path;
    document.title = `${path} — ZooKeeper console`;
    state.open = { path };
    renderNode();
    // The tree shows the way to the node.
    for (const a of ancestry(path).slice(0, -1)) {
      const n = treeNode(a);
      if (!n.expanded || n.children === undefined) await expand(a, true);
      if (seq !== state.openSeq) return;
    }
    await refreshOpen(seq);
    if (seq !== state.openSeq) return;
    const node = treeNode(path);
    if ((node.stat?.numChildren ?? 0) > 0 && !node.expanded) await expand(path, true);
    renderTree();
    itemOf(path)?.scrollIntoView({ block: "nearest" });
  }

  /** Reads the open node again: stat (no permission needed), data, ACL and children, each failing on its own. */
  async function refreshOpen(seq = state.openSeq): Promise<void> {
    const path = state.open?.path;
    if (!path) return;
    const next: OpenNode = { path };
    try {
      const { body, headers } = await api<{ stat: Stat }>("GET", znodeUrl(path, "?view=stat"));
      next.stat = body.stat;
      noteKind(path, headers);
    } catch (e) {
      if (seq !== state.openSeq) return;
      if (e instanceof ApiError && e.code === "NONODE") {
        next.missing = true;
        state.open = next;
        renderNode();
        return;
      }
      showError(describe(e));
      return;
    }
    const [data, acl, kids] = await Promise.allSettled([
      api<{ data: string | null; stat: Stat }>("GET", znodeUrl(path)),
      api<{ acl: AclEntry[] }>("GET", `/v1/acl${encodePath(path)}`),
      api<{ children: string[] }>("GET", znodeUrl(path, "?view=children")),
    ]);
    if (seq !== state.openSeq) return;
    if (data.status === "fulfilled") {
      next.data = base64ToBytes(data.value.body.data ?? "");
      next.stat = data.value.body.stat;
    } else next.dataError = data.reason as ApiError;
    if (acl.status === "fulfilled") next.acl = acl.value.body.acl;
    else next.aclError = acl.reason as ApiError;
    if (kids.status === "fulfilled") next.children = kids.value.body.children;
    else next.childrenError = kids.reason as ApiError;
    noteStat(path, next.stat!);
    treeNode(path).noauth = next.dataError?.code === "NOAUTH";
    state.open = next;
    renderNode();
    renderTree();
  }

  function showError(text: string | null, el = $("node-error")): void {
    el.hidden = !text;
    el.textContent = text ?? "";
  }

  function showNotice(text: string | null): void {
    const el = $("node-notice");
    el.hidden = !text;
    el.textContent = text ?? "";
  }

  function int64Cell(v: string): (Node | string)[] {
    return [h("span", { class: "dec", text: v }), " ", h("span", { class: "sub hex", text: int64Hex(v) })];
  }

  function renderNode(): void {
    const open = state.open;
    if (!open) return;
    const path = open.path;
    $("node-title").textContent = path;
    const crumbs = $("crumbs");
    crumbs.replaceChildren();
    ancestry(path).forEach((a, i, all) => {
      const label = a === "/" ? "/" : baseName(a);
      if (i > 0 && all[i - 1] !== "/") crumbs.append("/");
      crumbs.append(i === all.length - 1 ? h("span", { text: label }) : h("a", { href: uiUrl(a), "data-open": a, text: label }));
    });
    $("node-marks").replaceChildren(...marks(path, state.tree.get(path)));
    showError(open.missing ? `NONODE: ${path} does not exist` : null);
    if (!state.editing) showNotice(null);
    const s = open.stat;
    const stat = $("stat");
    stat.replaceChildren();
    if (s) {
      const row = (field: string, ...cells: (Node | string)[]) => stat.append(h("tr", { "data-field": field }, h("th", { scope: "row", text: field }), h("td", {}, ...cells)));
      row("czxid", ...int64Cell(s.czxid));
      row("mzxid", ...int64Cell(s.mzxid));
      row("pzxid", ...int64Cell(s.pzxid));
      row("ctime", localTime(s.ctime), " ", h("span", { class: "sub", text: `(${s.ctime})` }));
      row("mtime", localTime(s.mtime), " ", h("span", { class: "sub", text: `(${s.mtime})` }));
      row("version", String(s.version));
      row("cversion", String(s.cversion));
      row("aversion", String(s.aversion));
      if (s.ephemeralOwner === "0") row("ephemeralOwner", "0 ", h("span", { class: "sub", text: "(not ephemeral)" }));
      else row("ephemeralOwner", ...int64Cell(s.ephemeralOwner), " ", h("button", { type: "button", class: "secondary", text: "session", onclick: () => void lookupSession(s.ephemeralOwner, true) }));
      row("dataLength", String(s.dataLength));
      row("numChildren", String(s.numChildren));
      const t = state.tree.get(path);
      if (t?.kind) row("kind", t.kind === "ttl" ? `ttl, ${t.ttlMs} ms` : t.kind, " ", h("span", { class: "sub", text: "(ZK-Node-Kind; not in the Stat)" }));
    }
    renderData();
    renderAcl();
    const kids = $("children");
    kids.replaceChildren(...(open.children ?? []).map((c) => h("li", {}, h("a", { href: uiUrl(joinPath(path, c)), "data-open": joinPath(path, c), text: c }))));
    if (open.children?.length === 0) kids.append(h("li", { class: "hint", text: "no children" }));
    showError(open.childrenError ? describe(open.childrenError) : null, $("children-error"));
    $<HTMLButtonElement>("btn-edit").disabled = !open.data || !!state.editing;
    $<HTMLButtonElement>("btn-acl").disabled = !open.acl || !!state.aclEditing;
    $<HTMLButtonElement>("btn-delete").disabled = path === "/" || !!open.missing;
    $<HTMLButtonElement>("btn-create").disabled = !!open.missing;
  }

  function renderData(): void {
    const open = state.open!;
    const view = $("data-view");
    view.classList.remove("empty");
    if (open.dataError) {
      view.textContent = open.dataError.code === "NOAUTH" ? `NOAUTH: ${state.user || "an anonymous caller"} may not read this node's data (${open.dataError.message})` : describe(open.dataError);
      view.classList.add("empty");
      return;
    }
    const bytes = open.data;
    if (!bytes) {
      view.textContent = open.missing ? "" : "loading…";
      return;
    }
    if (bytes.length === 0) {
      view.textContent = "(empty)";
      view.classList.add("empty");
      return;
    }
    const text = utf8OrNull(bytes);
    switch (state.format) {
      case "hex":
        view.textContent = hexDump(bytes);
        break;
      case "base64":
        view.textContent = bytesToBase64(bytes);
        break;
      case "json": {
        const pretty = text === null ? null : prettyJson(text);
        view.textContent = pretty ?? `not JSON; as text:\n${text ?? hexDump(bytes)}`;
        break;
      }
      default:
        view.textContent = text ?? `not valid UTF-8; as hex:\n${hexDump(bytes)}`;
    }
  }

  /** The open node's data as the editor shows it in the current format. */
  function editorText(bytes: Uint8Array): string {
    const text = utf8OrNull(bytes);
    if (state.format === "base64" || (text === null && state.format !== "hex")) return bytesToBase64(bytes);
    if (state.format === "hex") return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
    if (state.format === "json") return prettyJson(text!) ?? text!;
    return text!;
  }

  /** The format the editor takes: the one shown, unless the data cannot be written that way. */
  function editorFormat(): string {
    const text = state.open?.data ? utf8OrNull(state.open.data) : "";
    if (state.format === "hex" || state.format === "base64") return state.format;
    if (text === null) return "base64";
    return state.format === "json" && prettyJson(text) === null ? "text" : state.format;
  }

  function startEdit(): void {
    const open = state.open;
    if (!open?.data || !open.stat) return;
    state.editing = { version: open.stat.version, path: open.path };
    const input = $<HTMLTextAreaElement>("data-input");
    input.value = editorText(open.data);
    input.dataset.format = editorFormat();
    $("data-edit-hint").textContent = `Editing as ${input.dataset.format}, based on version ${open.stat.version}. Saving fails with BADVERSION if the node changes meanwhile.`;
    $("data-edit").hidden = false;
    $("data-view").hidden = true;
    renderNode();
    input.focus();
  }

  function stopEdit(): void {
    state.editing = null;
    $("data-edit").hidden = true;
    $("data-view").hidden = false;
    showNotice(null);
    renderNode();
  }

  function parseEditor(text: string, format: string): Uint8Array {
    if (format === "hex") {
      const bytes = hexToBytes(text);
      if (!bytes) throw new Error("not hex: give pairs of hex digits");
      return bytes;
    }
    if (format === "base64") {
      try {
        return base64ToBytes(text.replace(/\s+/g, ""));
      } catch {
        throw new Error("not base64");
      }
    }
    if (format === "json" && prettyJson(text) === null) throw new Error("not JSON: fix it, or switch to text");
    return new TextEncoder().encode(text);
  }

  async function saveData(): Promise<void> {
    const editing = state.editing;
    if (!editing) return;
    const input = $<HTMLTextAreaElement>("data-input");
    let bytes: Uint8Array;
    try {
      bytes = parseEditor(input.value, input.dataset.format ?? "text");
    } catch (e) {
      showError(describe(e));
      return;
    }
    try {
      const { body } = await api<{ stat: Stat }>("PUT", znodeUrl(editing.path, `?version=${editing.version}`), { json: { data: bytesToBase64(bytes) } });
      toast(`Saved ${editing.path} (version ${body.stat.version})`);
      showError(null);
      stopEdit();
      await refreshOpen();
    } catch (e) {
      if (e instanceof ApiError && e.code === "BADVERSION") {
        const now = state.open?.stat?.version;
        showError(
          `Conflict (BADVERSION): ${editing.path} was changed by someone else after you read it at version ${editing.version}` +
            (now !== undefined && now !== editing.version ? ` (it is now at version ${now})` : "") +
            ". Nothing was overwritten; your text is still in the editor. Cancel to see their change, or use “Base on latest” to overwrite it deliberately.",
        );
        const rebase = h("button", {
          type: "button",
          class: "secondary",
          text: "Base on latest",
          onclick: async () => {
            const latest = (await api<{ stat: Stat }>("GET", znodeUrl(editing.path, "?view=stat"))).body.stat;
            editing.version = latest.version;
            $("data-edit-hint").textContent = `Editing as ${input.dataset.format}, based on version ${latest.version}.`;
            showError(null);
          },
        });
        $("node-error").append(" ", rebase);
      } else showError(`Not saved: ${describe(e)}`);
    }
  }

  // ---- ACL -----------------------------------------------------------------

  function renderAcl(): void {
    const open = state.open!;
    const table = $("acl");
    table.replaceChildren();
    showError(open.aclError ? (open.aclError.code === "NOAUTH" ? `NOAUTH: reading the ACL needs READ or ADMIN (${open.aclError.message})` : describe(open.aclError)) : null, $("acl-error"));
    if (!open.acl) return;
    table.append(h("tr", {}, h("th", { text: "scheme" }), h("th", { text: "id" }), h("th", { text: "perms" })));
    for (const a of open.acl) table.append(h("tr", {}, h("td", { text: a.scheme }), h("td", { text: a.id }), h("td", { text: permsText(a.perms) })));
  }

  function aclRow(entry: AclEntry): HTMLElement {
    const scheme = h("select", { "aria-label": "scheme" }, ...["world", "auth", "digest", "ip"].map((s) => h("option", { value: s, selected: s === entry.scheme, text: s }))) as HTMLSelectElement;
    const id = h("input", { type: "text", value: entry.id, "aria-label": "id", placeholder: "anyone | user:hash | 10.0.0.0/8" });
    const row = h("div", { class: "acl-row" }, scheme, id);
    for (const p of "cdrwa") row.append(h("label", {}, h("input", { type: "checkbox", value: p, checked: entry.perms.includes(p), "aria-label": `perm ${p}` }), p));
    row.append(h("button", { type: "button", class: "secondary", text: "Remove", onclick: () => row.remove() }));
    return row;
  }

  function startAclEdit(): void {
    const open = state.open;
    if (!open?.acl || !open.stat) return;
    state.aclEditing = { aversion: open.stat.aversion, path: open.path };
    $("acl-rows").replaceChildren(...open.acl.map(aclRow));
    $("acl-edit").hidden = false;
    renderNode();
  }

  function stopAclEdit(): void {
    state.aclEditing = null;
    $("acl-edit").hidden = true;
    renderNode();
  }

  async function saveAcl(): Promise<void> {
    const editing = state.aclEditing;
    if (!editing) return;
    const acl: AclEntry[] = [...$("acl-rows").querySelectorAll(".acl-row")].map((row) => ({
      scheme: row.querySelector("select")!.value,
      id: row.querySelector<HTMLInputElement>("input[type=text]")!.value,
      perms: [...row.querySelectorAll<HTMLInputElement>("input[type=checkbox]:checked")].map((c) => c.value).join(""),
    }));
    try {
      await api("PUT", `/v1/acl${encodePath(editing.path)}?aversion=${editing.aversion}`, { json: { acl } });
      toast(`ACL of ${editing.path} saved`);
      showError(null, $("acl-error"));
      stopAclEdit();
      await refreshOpen();
    } catch (e) {
      const msg =
        e instanceof ApiError && e.code === "BADVERSION"
          ? `Conflict (BADVERSION): the ACL of ${editing.path} was changed after you read it at aversion ${editing.aversion}; nothing was overwritten. Cancel and edit again.`
          : `Not saved: ${describe(e)}`;
      showError(msg, $("acl-error"));
    }
  }

  // ---- create and delete ---------------------------------------------------

  function presetAcl(preset: string): AclEntry[] {
    if (preset === "creator") return [{ scheme: "auth", id: "", perms: "cdrwa" }];
    if (preset === "read") return [{ scheme: "world", id: "anyone", perms: "r" }, { scheme: "auth", id: "", perms: "cdrwa" }];
    if (preset === "parent" && state.open?.acl) return state.open.acl;
    return [{ scheme: "world", id: "anyone", perms: "cdrwa" }];
  }

  function openCreate(): void {
    const parent = state.open?.path ?? "/";
    $("create-parent").textContent = parent;
    $<HTMLInputElement>("create-name").value = "";
    showError(null, $("create-error"));
    $<HTMLDialogElement>("create-dialog").showModal();
    $<HTMLInputElement>("create-name").focus();
  }

  async function submitCreate(): Promise<void> {
    const parent = state.open?.path ?? "/";
    const name = $<HTMLInputElement>("create-name").value.trim();
    const mode = $<HTMLSelectElement>("create-mode").value;
    const path = name.startsWith("/") ? name : joinPath(parent, name);
    const headers: Record<string, string> = {};
    const body: Record<string, unknown> = { mode, acl: presetAcl($<HTMLSelectElement>("create-acl").value) };
    try {
      body.data = bytesToBase64(parseEditor($<HTMLTextAreaElement>("create-data").value, $<HTMLSelectElement>("create-enc").value));
      if (mode.endsWith("_with_ttl")) body.ttlMs = Number($<HTMLInputElement>("create-ttl").value);
      if (mode.startsWith("ephemeral")) headers["ZK-Session"] = await ensureSession();
      const { body: made } = await api<{ path: string }>("POST", `/v1/znodes${encodePath(path)}`, { json: body, headers });
      $<HTMLDialogElement>("create-dialog").close();
      toast(`Created ${made.path}`);
      await loadChildren(parentOf(made.path) ?? "/");
      await openNode(made.path);
      if (mode.startsWith("ephemeral")) void renderOwnSession();
    } catch (e) {
      showError(describe(e), $("create-error"));
    }
  }

  /** Every node below `path`, deepest first, so deleting them in order empties each parent before it goes. */
  async function subtree(path: string): Promise<string[]> {
    const below: string[] = [];
    const walk = async (p: string): Promise<void> => {
      const { body } = await api<{ children: string[] }>("GET", znodeUrl(p, "?view=children"));
      for (const c of body.children) {
        if (below.length >= MAX_DELETE) throw new Error(`more than ${MAX_DELETE} nodes below ${path}; delete parts of it first`);
        const child = joinPath(p, c);
        await walk(child);
        below.push(child);
      }
    };
    await walk(path);
    return below;
  }

  let pendingDelete: string[] = [];

  async function openDelete(): Promise<void> {
    const path = state.open?.path;
    if (!path || path === "/") return;
    showError(null, $("delete-error"));
    $("delete-title").textContent = `Delete ${path}`;
    $("delete-list").replaceChildren();
    const confirm = $<HTMLButtonElement>("delete-confirm");
    try {
      const below = await subtree(path);
      pendingDelete = [...below, path];
      $("delete-text").textContent = below.length === 0 ? `Delete ${path}?` : `Delete ${path} and the ${below.length} node${below.length === 1 ? "" : "s"} below it? This cannot be undone.`;
      $("delete-list").replaceChildren(...below.slice(0, 50).map((p) => h("li", { text: p })), ...(below.length > 50 ? [h("li", { text: `… and ${below.length - 50} more` })] : []));
      confirm.disabled = false;
      confirm.textContent = below.length === 0 ? "Delete" : `Delete ${below.length + 1} nodes`;
    } catch (e) {
      pendingDelete = [];
      $("delete-text").textContent = `Cannot delete ${path}:`;
      showError(describe(e), $("delete-error"));
      confirm.disabled = true;
    }
    $<HTMLDialogElement>("delete-dialog").showModal();
    $("delete-cancel").focus();
  }

  async function confirmDelete(): Promise<void> {
    const paths = pendingDelete;
    const target = paths[paths.length - 1];
    if (!target) return;
    try {
      if (paths.length === 1) {
        await api("DELETE", znodeUrl(target, `?version=${state.open?.stat?.version ?? -1}`));
      } else {
        // One multi: all or nothing, so a concurrent change leaves the subtree whole.
        try {
          await api("POST", "/v1/multi", { json: { ops: paths.map((p) => ({ op: "delete", path: p })) } });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === "TOOLARGE")) throw e;
          // Larger than etcd takes in one transaction: one by one, deepest first.
          for (const p of paths) await api("DELETE", znodeUrl(p));
        }
      }
      $<HTMLDialogElement>("delete-dialog").close();
      toast(`Deleted ${target}${paths.length > 1 ? ` and ${paths.length - 1} below it` : ""}`);
      forget(target);
      const parent = parentOf(target) ?? "/";
      await loadChildren(parent);
      await openNode(parent);
    } catch (e) {
      const hint =
        e instanceof ApiError && (e.code === "NOTEMPTY" || e.code === "BADVERSION")
          ? " The subtree changed while you confirmed; nothing was deleted. Close and try again."
          : "";
      showError(describe(e) + hint, $("delete-error"));
    }
  }

  // ---- sessions ------------------------------------------------------------

  /** This tab's session, opened the first time an ephemeral node is created and kept alive while the tab lives. */
  async function ensureSession(): Promise<string> {
    if (state.session) return state.session.id;
    const { body } = await api<{ id: string; timeoutMs: number }>("POST", "/v1/sessions", { json: { timeoutMs: 40000 } });
    const timer = window.setInterval(() => void ping(), Math.max(1000, Math.floor(body.timeoutMs / 3)));
    state.session = { id: body.id, timeoutMs: body.timeoutMs, timer };
    void renderOwnSession();
    return body.id;
  }

  async function ping(): Promise<void> {
    const s = state.session;
    if (!s) return;
    try {
      await api("POST", `/v1/sessions/${s.id}/ping`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 410) {
        window.clearInterval(s.timer);
        state.session = null;
        toast(`Session ${s.id} expired; its ephemeral nodes are gone`);
        void renderOwnSession();
      }
    }
  }

  async function closeSession(): Promise<void> {
    const s = state.session;
    if (!s) return;
    window.clearInterval(s.timer);
    state.session = null;
    try {
      await api("DELETE", `/v1/sessions/${s.id}`);
      toast(`Closed session ${s.id}`);
    } catch (e) {
      toast(describe(e));
    }
    void renderOwnSession();
  }

  function ephemeralList(paths: string[]): HTMLElement {
    if (paths.length === 0) return h("p", { class: "hint", text: "no ephemeral nodes" });
    return h("ul", { class: "plain small" }, ...paths.map((p) => h("li", {}, h("a", { href: uiUrl(p), "data-open": p, text: p }))));
  }

  async function renderOwnSession(): Promise<void> {
    const box = $("own-session");
    const s = state.session;
    if (!s) {
      box.replaceChildren(h("p", { class: "hint", text: "None. One is opened when you create an ephemeral node, kept alive while this tab is open, and closed when it closes." }));
      return;
    }
    let eph: HTMLElement;
    try {
      eph = ephemeralList((await api<{ ephemerals: string[] }>("GET", `/v1/sessions/${s.id}`)).body.ephemerals);
    } catch (e) {
      eph = h("p", { class: "error", text: describe(e) });
    }
    box.replaceChildren(
      h("p", { class: "mono", text: `${s.id} (${int64Hex(s.id)}), timeout ${s.timeoutMs} ms` }),
      eph,
      h("button", { type: "button", class: "danger", text: "Close session", onclick: () => void closeSession() }),
    );
  }

  async function lookupSession(raw: string, show = false): Promise<void> {
    if (show) selectTab("sessions");
    const view = $("session-view");
    let id: string;
    try {
      id = BigInt(raw.trim()).toString();
    } catch {
      view.replaceChildren(h("p", { class: "error", text: "A session id is a decimal or 0x hex int64" }));
      return;
    }
    $<HTMLInputElement>("session-id").value = id;
    try {
      const { body } = await api<{ id: string; timeoutMs: number; ephemerals: string[] }>("GET", `/v1/sessions/${id}`);
      view.replaceChildren(h("p", { class: "mono", text: `${body.id} (${int64Hex(body.id)}): live, timeout ${body.timeoutMs} ms` }), ephemeralList(body.ephemerals));
    } catch (e) {
      view.replaceChildren(h("p", { class: "error", text: e instanceof ApiError && e.status === 410 ? `${id} is not live (SESSIONEXPIRED)` : describe(e) }));
    }
  }

  function renderOwners(): void {
    $("owners").replaceChildren(
      ...[...state.owners].map((o) => h("li", {}, h("button", { type: "button", class: "secondary mono", text: `${o} (${int64Hex(o)})`, onclick: () => void lookupSession(o) }))),
    );
    if (state.owners.size === 0) $("owners").append(h("li", { class: "hint", text: "Owners of the ephemeral nodes the console has read appear here." }));
  }

  // ---- stats ---------------------------------------------------------------

  async function loadStats(): Promise<void> {
    let s: Record<string, unknown>;
    try {
      s = (await api<Record<string, unknown>>("GET", "/v1/stats", { admin: true })).body;
    } catch (e) {
      $("stats").replaceChildren(h("tr", {}, h("td", { class: "error", text: describe(e) })));
      return;
    }
    const table = $("stats");
    table.replaceChildren();
    for (const k of ["znodeCount", "ephemeralCount", "liveSessions", "lastZxid", "pendingReconciliations", "nonZooKeeperWrites", "compactedFallbacks"]) {
      const v = s[k];
      if (v === undefined) continue;
      table.append(h("tr", { "data-field": k }, h("th", { scope: "row", text: k }), h("td", {}, ...(k === "lastZxid" ? int64Cell(String(v)) : [String(v)]))));
    }
    const trips = s.etcdRoundTrips as Record<string, number> | undefined;
    if (trips) table.append(h("tr", {}, h("th", { scope: "row", text: "etcd calls" }), h("td", { class: "words", text: Object.entries(trips).map(([k, v]) => `${k} ${v}`).join(", ") })));
    $("sessions-count").textContent = `Live sessions: ${s.liveSessions ?? "?"}. The API gives the ephemerals of a session you name; it has no list of every session.`;
    const ops = s.operations as Record<string, { count: number; roundTrips: number; perOp: number }> | undefined;
    const opsTable = $("stats-ops");
    opsTable.replaceChildren();
    if (ops) {
      opsTable.append(h("tr", {}, h("th", { text: "operation" }), h("th", { text: "count" }), h("th", { text: "etcd calls" }), h("th", { text: "per op" })));
      for (const [name, o] of Object.entries(ops)) opsTable.append(h("tr", {}, h("td", { text: name }), h("td", { text: String(o.count) }), h("td", { text: String(o.roundTrips) }), h("td", { text: o.perOp.toFixed(2) })));
    }
  }

  function selectTab(name: string): void {
    for (const t of ["events", "sessions", "stats"]) {
      const on = t === name;
      const tab = $(`tab-${t}`);
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      $(`panel-${t}`).hidden = !on;
    }
    window.clearInterval(state.statsTimer);
    if (name === "stats" || name === "sessions") {
      void loadStats();
      state.statsTimer = window.setInterval(() => {
        if (document.visibilityState === "visible") void loadStats();
      }, 5000);
    }
    if (name === "sessions") void renderOwnSession();
  }

  // ---- live events ---------------------------------------------------------

  const dirty = { tree: new Set<string>(), open: false, openChildren: false, timer: 0 };

  function onEvent(ev: ZkEvent): void {
    state.events.unshift({ ...ev, at: Date.now() });
    state.events.length = Math.min(state.events.length, MAX_EVENTS);
    renderEvents();
    const parent = parentOf(ev.path);
    const structural = ev.type === "NodeCreated" || ev.type === "NodeDeleted";
    if (state.open && ev.path === state.open.path) dirty.open = true;
    if (state.open && structural && parent === state.open.path) dirty.open = true;
    if (structural) {
      // A node created again is a new node: nothing known of the old one holds.
      forget(ev.path);
      // The parent's count changes even when it is not expanded.
      if (parent !== null && state.tree.has(parent)) dirty.tree.add(parent);
    }
    if (!dirty.timer) dirty.timer = window.setTimeout(() => void flush(), 100);
  }

  /** Applies the events of the last moment with one read per node touched, whatever their number. */
  async function flush(): Promise<void> {
    dirty.timer = 0;
    const parents = [...dirty.tree];
    const open = dirty.open;
    dirty.tree.clear();
    dirty.open = false;
    for (const p of parents) {
      const node = state.tree.get(p);
      if (!node) continue;
      if (node.children !== undefined) await loadChildren(p);
      else {
        const read = await api<{ stat: Stat }>("GET", znodeUrl(p, "?view=stat")).catch(() => null);
        if (read) noteStat(p, read.body.stat);
        renderTree();
      }
    }
    if (open && state.open) {
      const before = state.open.stat;
      if (state.editing) {
        // Keep the user's text; their save will meet the change as BADVERSION.
        const latest = await api<{ stat: Stat }>("GET", znodeUrl(state.open.path, "?view=stat")).catch(() => null);
        if (latest && latest.body.stat.version !== state.editing.version) {
          showNotice(`${state.open.path} was changed by another client (now version ${latest.body.stat.version}); you are editing version ${state.editing.version}.`);
        }
      } else {
        await refreshOpen();
        if (state.open?.missing && before) showNotice(`${state.open.path} was deleted by another client.`);
      }
    }
  }

  function renderEvents(): void {
    $("events").replaceChildren(
      ...state.events.map((e) =>
        h(
          "li",
          {},
          h("span", { class: `ty ${e.type}`, text: e.type }),
          h("span", { class: "z", title: new Date(e.at).toLocaleString(), text: `zxid ${e.zxid}` }),
          h("a", { class: "p", href: uiUrl(e.path), "data-open": e.path, text: e.path }),
        ),
      ),
    );
  }

  function streamState(kind: "on" | "err" | "off", text: string): void {
    const dot = $("stream-state");
    dot.className = `dot ${kind}`;
    $("stream-text").textContent = text;
  }

  /**
   * A recursive persistent watch on "/", read with fetch (EventSource cannot
   * send Authorization). The stream ends at its timeoutMs; the next one starts
   * after the last id seen, so no event is lost or repeated between them.
   */
  async function streamLoop(): Promise<void> {
    const ctl = new AbortController();
    state.stream?.abort();
    state.stream = ctl;
    let backoff = 1000;
    while (!ctl.signal.aborted) {
      const from = state.streamFrom;
      try {
        const res = await fetch(`/v1/events/?recursive=true&timeoutMs=60000${from ? `&zxid=${from}` : ""}`, { headers: authHeaders(), credentials: "omit", signal: ctl.signal, cache: "no-store" });
        if (!res.ok || !res.body) {
          const e = (await res.json().catch(() => ({}))) as ApiErrorBody;
          if (res.status === 410) {
            // History compacted: read everything again and watch from now.
            state.streamFrom = null;
            streamState("err", `${e.code}: reloading`);
            for (const n of state.tree.values()) if (n.children !== undefined) await loadChildren(n.path);
            await refreshOpen();
            continue;
          }
          if (res.status === 401) return onUnauthorized(new ApiError(401, e.code ?? "AUTHFAILED", e.message ?? ""));
          throw new ApiError(res.status, e.code ?? String(res.status), e.message ?? "");
        }
        streamState("on", "live: watching / recursively");
        backoff = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          const blocks = buffer.split(/\r?\n\r?\n/);
          buffer = blocks.pop() ?? "";
          for (const block of blocks) {
            const msg = parseSseBlock(block);
            if (msg.id !== undefined) state.streamFrom = msg.id;
            if (msg.event === "error") throw new Error(`event stream: ${msg.data ?? ""}`);
            if (msg.data) onEvent(JSON.parse(msg.data) as ZkEvent);
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        streamState("err", `reconnecting: ${describe(e)}`);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 15000);
      }
    }
  }

  // ---- wiring --------------------------------------------------------------

  let toastTimer = 0;
  function toast(text: string): void {
    const el = $("toast");
    el.textContent = text;
    el.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(() => (el.hidden = true), 4000);
  }

  function pathFromLocation(): string {
    return new URLSearchParams(location.search).get("path") || "/";
  }

  async function start(): Promise<void> {
    state.tree.clear();
    state.streamFrom = null;
    renderOwners();
    await expand("/", true);
    void streamLoop();
    await openNode(pathFromLocation(), "replace");
  }

  function wire(): void {
    $("login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const user = $<HTMLInputElement>("login-user").value;
      void signIn(basicAuth(user, $<HTMLInputElement>("login-password").value), user);
    });
    $("login-anonymous").addEventListener("click", () => void signIn("", ""));
    $("signout").addEventListener("click", () => {
      sessionStorage.removeItem(AUTH_KEY);
      void closeSession();
      state.auth = null;
      $("signout").hidden = true;
      $("who").textContent = "";
      showLogin();
    });
    $("pathbar").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const path = $<HTMLInputElement>("path-input").value.trim() || "/";
      void openNode(path);
    });
    $("filter").addEventListener("input", (ev) => {
      state.filter = (ev.target as HTMLInputElement).value.trim().toLowerCase();
      renderTree();
    });
    $("tree").addEventListener("keydown", onTreeKey);
    $("tree").addEventListener("click", onTreeClick);
    // Links inside the app open nodes in place; a modified click still opens a new tab.
    document.addEventListener("click", (ev) => {
      const a = (ev.target as HTMLElement).closest?.("a[data-open]");
      if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || (ev as MouseEvent).button !== 0) return;
      ev.preventDefault();
      void openNode(a.getAttribute("data-open")!);
    });
    window.addEventListener("popstate", () => void openNode(pathFromLocation(), "none"));
    for (const radio of document.querySelectorAll<HTMLInputElement>("input[name=fmt]")) {
      radio.addEventListener("change", () => {
        state.format = radio.value;
        if (state.open) renderData();
      });
    }
    $("btn-edit").addEventListener("click", startEdit);
    $("data-cancel").addEventListener("click", () => {
      showError(null);
      stopEdit();
      void refreshOpen();
    });
    $("data-edit").addEventListener("submit", (ev) => {
      ev.preventDefault();
      void saveData();
    });
    $("btn-acl").addEventListener("click", startAclEdit);
    $("acl-cancel").addEventListener("click", () => {
      showError(null, $("acl-error"));
      stopAclEdit();
    });
    $("acl-add").addEventListener("click", () => $("acl-rows").append(aclRow({ scheme: "world", id: "anyone", perms: "r" })));
    $("acl-edit").addEventListener("submit", (ev) => {
      ev.preventDefault();
      void saveAcl();
    });
    $("btn-create").addEventListener("click", openCreate);
    $("create-mode").addEventListener("change", () => {
      $("create-ttl-label").hidden = !$<HTMLSelectElement>("create-mode").value.endsWith("_with_ttl");
    });
    $("create-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      void submitCreate();
    });
    $("create-cancel").addEventListener("click", () => $<HTMLDialogElement>("create-dialog").close());
    $("btn-delete").addEventListener("click", () => void openDelete());
    $("delete-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      void confirmDelete();
    });
    $("delete-cancel").addEventListener("click", () => $<HTMLDialogElement>("delete-dialog").close());
    $("session-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      void lookupSession($<HTMLInputElement>("session-id").value);
    });
    $("stats-refresh").addEventListener("click", () => void loadStats());
    const tabs = ["events", "sessions", "stats"];
    for (const t of tabs) {
      const tab = $(`tab-${t}`);
      tab.addEventListener("click", () => selectTab(t));
      tab.addEventListener("keydown", (ev) => {
        const step = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = tabs[(tabs.indexOf(t) + step + tabs.length) % tabs.length]!;
        selectTab(next);
        $(`tab-${next}`).focus();
      });
    }
    // The console's session ends with the tab; keepalive lets the request outlive the page.
    window.addEventListener("pagehide", () => {
      const s = state.session;
      if (s) void fetch(`/v1/sessions/${s.id}`, { method: "DELETE", headers: authHeaders(), credentials: "omit", keepalive: true }).catch(() => undefined);
    });
  }

  wire();
  const saved = sessionStorage.getItem(AUTH_KEY);
  if (saved) {
    try {
      const { auth, user } = JSON.parse(saved) as { auth: string; user: string };
      void signIn(auth, user);
    } catch {
      showLogin();
    }
  } else showLogin();
}
