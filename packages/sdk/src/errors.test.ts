import { test } from "node:test";
import assert from "node:assert/strict";
import { ERROR_CODES, ERROR_STATUS } from "@parley/protocol";
import { errorFromBody, networkError, parseRetryAfter, ParleyError } from "./errors.ts";

test("every protocol code maps to a typed error with its status", () => {
  for (const code of ERROR_CODES) {
    const err = errorFromBody(ERROR_STATUS[code], { code, message: "m", details: { x: 1 } });
    assert.ok(err instanceof ParleyError);
    assert.equal(err.code, code);
    assert.equal(err.status, ERROR_STATUS[code]);
    assert.deepEqual(err.details, { x: 1 });
  }
});

test("retryable and auth helpers follow the protocol", () => {
  assert.equal(errorFromBody(429, { code: "rate_limited", message: "slow" }, 3).isRetryable(), true);
  assert.equal(errorFromBody(429, { code: "rate_limited", message: "slow" }, 3).retryAfter, 3);
  assert.equal(errorFromBody(503, { code: "unavailable", message: "x" }).isRetryable(), true);
  assert.equal(errorFromBody(400, { code: "validation_failed", message: "x" }).isRetryable(), false);
  assert.equal(errorFromBody(401, { code: "token_expired", message: "x" }).isAuthError(), true);
  assert.equal(errorFromBody(404, { code: "not_found", message: "x" }).isNotFound(), true);
  assert.equal(networkError(new Error("ECONNREFUSED")).isRetryable(), true);
  assert.equal(networkError(new Error("x")).status, 0);
});

test("non-Parley bodies still get a code", () => {
  assert.equal(errorFromBody(502, "<html>bad gateway</html>").code, "internal");
  assert.equal(errorFromBody(503, undefined).code, "unavailable");
  assert.equal(errorFromBody(418, { code: "teapot" }).code, "bad_response");
});

test("Retry-After accepts seconds and dates", () => {
  assert.equal(parseRetryAfter("7"), 7);
  assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 0), 10);
  assert.equal(parseRetryAfter(null), undefined);
});
