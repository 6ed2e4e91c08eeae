// The console's three files as strings, so that every bundler this project
// meets (tsx, the tests' esbuild, wrangler) serves them without a loader or a
// build step. The browser program is shipped as the source text of the
// type-checked functions in app.ts and format.ts.
import { consoleApp } from "./app.js";
import * as format from "./format.js";
import { PAGE_CSS, PAGE_HTML } from "./page.js";

/**
 * tsx and wrangler compile with esbuild's keepNames, which wraps functions in
 * calls to a module-level `__name` helper; toString() then carries those calls
 * but not the helper, so the script defines a stand-in. (Minified builds would
 * rename the helper too: the Worker is deployed unminified.)
 */
const KEEP_NAMES_SHIM = "const __name = (target) => target;";

export const CONSOLE_JS = [
  '"use strict";',
  "(() => {",
  KEEP_NAMES_SHIM,
  ...Object.values(format).map((f) => f.toString()),
  `(${consoleApp.toString()})();`,
  "})();",
  "",
].join("\n");

export const CONSOLE_HTML = PAGE_HTML;
export const CONSOLE_CSS = PAGE_CSS;
