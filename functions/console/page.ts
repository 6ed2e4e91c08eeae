// The web console's page and style sheet. The page holds no data: every
// value on it comes from the public API, fetched by app.ts with the
// credentials the user typed, so it is served without credentials.

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ZooKeeper on etcd — console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1><a href="/ui" id="home">ZooKeeper on etcd</a></h1>
  <form id="pathbar" class="pathbar" autocomplete="off">
    <label for="path-input" class="sr">Path</label>
    <input id="path-input" name="path" spellcheck="false" placeholder="/path/to/znode" aria-label="Path to open">
    <button type="submit">Open</button>
  </form>
  <div class="who"><span id="who"></span> <button type="button" id="signout" hidden>Sign out</button></div>
</header>

<section id="login" class="login" hidden aria-labelledby="login-title">
  <form id="login-form" autocomplete="on">
    <h2 id="login-title">Sign in</h2>
    <p>Basic credentials for this service. They are kept for this tab only (sessionStorage) and sent with every API call.</p>
    <label>User <input id="login-user" name="user" autocomplete="username" required></label>
    <label>Password <input id="login-password" name="password" type="password" autocomplete="current-password"></label>
    <p id="login-error" class="error" role="alert" hidden></p>
    <div class="row"><button type="submit">Sign in</button> <button type="button" id="login-anonymous" class="secondary">Continue without credentials</button></div>
  </form>
</section>

<main id="app" class="layout" hidden>
  <nav class="pane tree-pane" aria-label="Znode tree">
    <div class="pane-head">
      <label for="filter" class="sr">Filter</label>
      <input id="filter" type="search" placeholder="Filter loaded names" aria-label="Filter the tree by name">
    </div>
    <ul id="tree" role="tree" aria-label="Znodes"></ul>
    <p class="legend"><span class="mark m-eph">E</span> ephemeral <span class="mark m-seq">S</span> sequential name <span class="mark m-con">C</span> container <span class="mark m-ttl">TTL</span> <span class="mark m-noauth">NOAUTH</span> no READ</p>
  </nav>

  <section class="pane node-pane" aria-labelledby="node-title">
    <nav id="crumbs" class="crumbs" aria-label="Breadcrumbs"></nav>
    <div class="node-head">
      <h2 id="node-title" tabindex="-1"></h2>
      <span id="node-marks"></span>
      <div class="actions">
        <button type="button" id="btn-create">New child…</button>
        <button type="button" id="btn-delete" class="danger">Delete…</button>
      </div>
    </div>
    <p id="node-error" class="error" role="alert" hidden></p>
    <p id="node-notice" class="notice" role="status" hidden></p>

    <section class="card" aria-labelledby="stat-title">
      <h3 id="stat-title">Stat</h3>
      <table id="stat" class="kv"></table>
    </section>

    <section class="card" aria-labelledby="data-title">
      <div class="card-head">
        <h3 id="data-title">Data</h3>
        <div role="radiogroup" aria-label="Show data as" id="data-format" class="seg">
          <label><input type="radio" name="fmt" value="text" checked> text</label>
          <label><input type="radio" name="fmt" value="json"> JSON</label>
          <label><input type="radio" name="fmt" value="hex"> hex</label>
          <label><input type="radio" name="fmt" value="base64"> base64</label>
        </div>
        <button type="button" id="btn-edit">Edit</button>
      </div>
      <pre id="data-view" class="data" tabindex="0"></pre>
      <form id="data-edit" hidden>
        <label for="data-input" class="sr">New data</label>
        <textarea id="data-input" rows="8" spellcheck="false"></textarea>
        <p class="hint" id="data-edit-hint"></p>
        <div class="row"><button type="submit">Save</button> <button type="button" id="data-cancel" class="secondary">Cancel</button></div>
      </form>
    </section>

    <section class="card" aria-labelledby="acl-title">
      <div class="card-head"><h3 id="acl-title">ACL</h3><button type="button" id="btn-acl">Edit ACL</button></div>
      <p id="acl-error" class="error" hidden></p>
      <table id="acl" class="grid"></table>
      <form id="acl-edit" hidden>
        <div id="acl-rows"></div>
        <div class="row"><button type="button" id="acl-add" class="secondary">Add entry</button> <button type="submit">Save ACL</button> <button type="button" id="acl-cancel" class="secondary">Cancel</button></div>
      </form>
    </section>

    <section class="card" aria-labelledby="children-title">
      <h3 id="children-title">Children</h3>
      <p id="children-error" class="error" hidden></p>
      <ul id="children" class="children"></ul>
    </section>
  </section>

  <aside class="pane side-pane" aria-label="Events, sessions and stats">
    <div role="tablist" class="tabs" aria-label="Panels">
      <button role="tab" id="tab-events" aria-controls="panel-events" aria-selected="true">Events</button>
      <button role="tab" id="tab-sessions" aria-controls="panel-sessions" aria-selected="false" tabindex="-1">Sessions</button>
      <button role="tab" id="tab-stats" aria-controls="panel-stats" aria-selected="false" tabindex="-1">Stats</button>
    </div>
    <section role="tabpanel" id="panel-events" aria-labelledby="tab-events">
      <p class="hint"><span id="stream-state" class="dot"></span> <span id="stream-text">not connected</span></p>
      <ol id="events" class="events" aria-live="polite"></ol>
    </section>
    <section role="tabpanel" id="panel-sessions" aria-labelledby="tab-sessions" hidden>
      <p class="hint" id="sessions-count"></p>
      <h3>This console's session</h3>
      <div id="own-session"></div>
      <h3>Look up a session</h3>
      <form id="session-form" class="row">
        <label for="session-id" class="sr">Session id</label>
        <input id="session-id" placeholder="decimal or 0x hex id" spellcheck="false">
        <button type="submit">Show</button>
      </form>
      <div id="session-view"></div>
      <h3>Owners seen</h3>
      <ul id="owners" class="plain"></ul>
    </section>
    <section role="tabpanel" id="panel-stats" aria-labelledby="tab-stats" hidden>
      <div class="row"><button type="button" id="stats-refresh">Refresh</button></div>
      <table id="stats" class="kv"></table>
      <table id="stats-ops" class="grid"></table>
    </section>
  </aside>
</main>

<dialog id="create-dialog" aria-labelledby="create-title">
  <form id="create-form" method="dialog">
    <h2 id="create-title">New znode</h2>
    <label><span>Name under <code id="create-parent"></code>, or an absolute path</span> <input id="create-name" required spellcheck="false"></label>
    <label>Mode <select id="create-mode">
      <option value="persistent">persistent</option>
      <option value="persistent_sequential">persistent sequential</option>
      <option value="ephemeral">ephemeral (this console's session)</option>
      <option value="ephemeral_sequential">ephemeral sequential (this console's session)</option>
      <option value="container">container</option>
      <option value="persistent_with_ttl">persistent with TTL</option>
      <option value="persistent_sequential_with_ttl">persistent sequential with TTL</option>
    </select></label>
    <label id="create-ttl-label" hidden>TTL (ms) <input id="create-ttl" type="number" min="1" value="60000"></label>
    <label>Data <select id="create-enc"><option value="text">text</option><option value="base64">base64</option><option value="hex">hex</option></select></label>
    <textarea id="create-data" rows="4" spellcheck="false" aria-label="Data"></textarea>
    <label>ACL <select id="create-acl">
      <option value="open">world:anyone, all permissions</option>
      <option value="read">world:anyone may read; I may do everything</option>
      <option value="creator">only me (auth)</option>
      <option value="parent">the same as the parent</option>
    </select></label>
    <p id="create-error" class="error" role="alert" hidden></p>
    <div class="row"><button type="submit" value="create" id="create-submit">Create</button> <button type="button" id="create-cancel" class="secondary">Cancel</button></div>
  </form>
</dialog>

<dialog id="delete-dialog" aria-labelledby="delete-title">
  <form id="delete-form" method="dialog">
    <h2 id="delete-title">Delete</h2>
    <p id="delete-text"></p>
    <ul id="delete-list" class="plain small"></ul>
    <p id="delete-error" class="error" role="alert" hidden></p>
    <div class="row"><button type="submit" value="delete" id="delete-confirm" class="danger">Delete</button> <button type="button" id="delete-cancel" class="secondary">Cancel</button></div>
  </form>
</dialog>

<div id="toast" class="toast" role="status" aria-live="polite" hidden></div>
</body>
</html>
`;

export const PAGE_CSS = `
:root{--bg:#f6f7f9;--fg:#1b1f24;--muted:#5b6470;--line:#d6dbe1;--card:#fff;--accent:#0b5cad;--accent-bg:#e4effa;--danger:#b42318;--warn-bg:#fff4d6;--ok:#16794c;
  --mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;color-scheme:light}
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--fg)}
button,input,select,textarea{font:inherit;color:inherit}
button{background:var(--accent);color:#fff;border:1px solid var(--accent);border-radius:6px;padding:.3rem .75rem;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:var(--danger);border-color:var(--danger)}
button:disabled{opacity:.5;cursor:default}
input,select,textarea{border:1px solid var(--line);border-radius:6px;padding:.3rem .45rem;background:#fff;min-width:0}
textarea{width:100%;font-family:var(--mono);font-size:13px}
:focus-visible{outline:3px solid #f59e0b;outline-offset:1px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
code,.mono{font-family:var(--mono);font-size:13px}
.top{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;background:#12263f;color:#fff}
.top h1{font-size:1rem;margin:0;white-space:nowrap}.top h1 a{color:#fff;text-decoration:none}
.pathbar{display:flex;gap:.4rem;flex:1;min-width:0}.pathbar input{flex:1;font-family:var(--mono);background:#fff;color:var(--fg)}
.who{white-space:nowrap;font-size:13px}.who button{background:transparent;border-color:#8fa6c1}
.layout{display:grid;grid-template-columns:minmax(240px,310px) minmax(0,1fr) minmax(250px,320px);gap:.75rem;padding:.75rem;height:calc(100% - 48px)}
.pane{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem;overflow:auto;min-height:0}
.pane-head{margin-bottom:.4rem}.pane-head input{width:100%}
[role=tree],[role=group]{list-style:none;margin:0;padding:0}
[role=group]{padding-left:.8rem}
.ti{display:flex;align-items:center;gap:.3rem;padding:.1rem .25rem;border-radius:4px;cursor:pointer;white-space:nowrap}
[role=treeitem]:focus{outline:none}[role=treeitem]:focus>.ti{outline:3px solid #f59e0b;outline-offset:-1px}
[role=treeitem][aria-selected=true]>.ti{background:var(--accent-bg);font-weight:600}
.tw{width:1rem;display:inline-block;text-align:center;color:var(--muted)}
.nm{overflow:hidden;text-overflow:ellipsis}
.count{font-size:11px;color:var(--muted);background:#eef1f4;border-radius:8px;padding:0 .35rem}
.mark{font-size:10px;font-weight:700;border-radius:3px;padding:0 .25rem;border:1px solid}
.m-eph{color:#7a3ea1;border-color:#c9a7e0}.m-seq{color:#1d6f7a;border-color:#9fd0d6}.m-con{color:#7a5b12;border-color:#e2c77a}.m-ttl{color:#9a3412;border-color:#f3b38c}.m-noauth{color:var(--danger);border-color:#f1a8a0}
.legend{font-size:11px;color:var(--muted);margin:.6rem 0 0}
.more{font-size:12px;padding:.05rem .4rem;margin:.1rem 0 .1rem 1.3rem}
.crumbs{font-family:var(--mono);font-size:13px;color:var(--muted)}.crumbs a{color:var(--accent)}
.node-head{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin:.2rem 0 .5rem}
.node-head h2{font-family:var(--mono);font-size:1.1rem;margin:0;word-break:break-all}
.actions{margin-left:auto;display:flex;gap:.4rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.5rem .7rem;margin-bottom:.6rem}
.card h3{font-size:.85rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 .3rem}
.card-head{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem;margin-bottom:.3rem}.card-head h3{margin:0}
.card-head button{margin-left:auto}
.seg{display:flex;gap:.5rem;font-size:13px}
.kv{border-collapse:collapse;width:100%}.kv th{text-align:left;font-weight:500;color:var(--muted);padding:.1rem .6rem .1rem 0;white-space:nowrap;vertical-align:top;width:8rem}
.kv td{font-family:var(--mono);font-size:13px;padding:.1rem 0;word-break:break-all}
.kv .sub{color:var(--muted)}.kv td.words{word-break:normal}
.grid{border-collapse:collapse;width:100%;font-size:13px}.grid th,.grid td{border-bottom:1px solid var(--line);padding:.2rem .4rem;text-align:left}
.grid td{font-family:var(--mono)}
.data{font-family:var(--mono);font-size:13px;background:#f8f9fb;border:1px solid var(--line);border-radius:6px;padding:.5rem;margin:0;max-height:40vh;overflow:auto;white-space:pre-wrap;word-break:break-all}
.data.empty{color:var(--muted);font-style:italic}
.children{list-style:none;padding:0;margin:0;columns:2 12rem;font-family:var(--mono);font-size:13px}
.children a{color:var(--accent)}
.error{color:var(--danger);background:#fdecea;border:1px solid #f1a8a0;border-radius:6px;padding:.35rem .6rem;margin:.3rem 0}
.notice{background:var(--warn-bg);border:1px solid #e8c66b;border-radius:6px;padding:.35rem .6rem;margin:.3rem 0}
.hint{color:var(--muted);font-size:12px;margin:.3rem 0}
.row{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin-top:.4rem}
.tabs{display:flex;gap:.25rem;border-bottom:1px solid var(--line);margin-bottom:.5rem}
.tabs [role=tab]{background:transparent;color:var(--muted);border:0;border-bottom:3px solid transparent;border-radius:0;padding:.3rem .6rem}
.tabs [role=tab][aria-selected=true]{color:var(--fg);border-bottom-color:var(--accent);font-weight:600}
.side-pane h3{font-size:.85rem;margin:.8rem 0 .3rem}
.events{list-style:none;margin:0;padding:0;font-size:12px}
.events li{border-bottom:1px solid var(--line);padding:.25rem 0;display:grid;grid-template-columns:auto 1fr;gap:0 .5rem}
.events .ty{font-weight:600}.events .ty.NodeCreated{color:var(--ok)}.events .ty.NodeDeleted{color:var(--danger)}.events .ty.NodeDataChanged{color:var(--accent)}
.events .p{font-family:var(--mono);word-break:break-all;grid-column:1/3}.events .z{color:var(--muted);text-align:right}
.dot{display:inline-block;width:.6rem;height:.6rem;border-radius:50%;background:#aab2bd}.dot.on{background:var(--ok)}.dot.err{background:var(--danger)}
.plain{list-style:none;padding:0;margin:0}.plain li{padding:.15rem 0}.small{font-size:12px;max-height:30vh;overflow:auto;font-family:var(--mono)}
.login{max-width:26rem;margin:3rem auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem 1.25rem}
.login label,dialog label{display:flex;flex-direction:column;gap:.2rem;margin:.5rem 0}
dialog{border:1px solid var(--line);border-radius:8px;max-width:min(32rem,94vw);width:100%}
dialog::backdrop{background:rgba(15,23,42,.45)}
.acl-row{display:flex;flex-wrap:wrap;gap:.3rem;align-items:center;margin:.2rem 0}
.acl-row input[type=text]{flex:1;min-width:8rem;font-family:var(--mono)}
.acl-row label{font-family:var(--mono);font-size:12px}
.toast{position:fixed;bottom:1rem;left:50%;transform:translateX(-50%);background:#12263f;color:#fff;padding:.45rem .9rem;border-radius:6px;max-width:90vw}
@media (max-width:1000px){
  .layout{grid-template-columns:1fr;height:auto}
  .pane{max-height:none}
  .tree-pane{max-height:45vh}
  .top{flex-wrap:wrap}
  .pathbar{order:3;flex-basis:100%}
}
`;
