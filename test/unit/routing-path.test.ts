// The one decoding of a request path (functions/request.ts routingPath):
// unreserved escapes become their characters, every other escape stays for
// the znode path to decode exactly once.
import { expect, test } from "vitest";
import { routingPath } from "../../functions/request.js";

const of = (target: string) => routingPath(new Request(`http://localhost${target}`));

test.each([
  ["/v1/%7Anodes/x", "/v1/znodes/x"],
  ["/v1/%7anodes/x", "/v1/znodes/x"],
  ["/%76%31/znodes/a", "/v1/znodes/a"],
  ["/v1/znodes/%2541", "/v1/znodes/%2541"],
  ["/v1/znodes/%252F", "/v1/znodes/%252F"],
  ["/v1%2Fznodes/a", "/v1%2Fznodes/a"],
  ["/v1/znodes/a%2Fb", "/v1/znodes/a%2Fb"],
  ["/v1/znodes/%C3%A9", "/v1/znodes/%C3%A9"],
  ["/v1/znodes/%ZZ", "/v1/znodes/%ZZ"],
  ["/v1/znodes/%2D%2E%5F%7E", "/v1/znodes/-._~"],
  ["/v1/znodes/a/%2e%2e/b", "/v1/znodes/b"],
])("%s routes as %s", (target, want) => {
  expect(of(target)).toBe(want);
});
