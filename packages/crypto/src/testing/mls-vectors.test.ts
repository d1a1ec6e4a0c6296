// The conformance runner itself: it must fail on any outcome other than "exactly the
// listed cases fail, each with its symptom".
import assert from "node:assert/strict";
import { test } from "node:test";
import { knownFailures, runCases } from "./mls-vectors.ts";

const cases = [{ id: "ok" }, { id: "broken" }];
const run = async (c: { id: string }) => {
  if (c.id === "broken") throw new Error("Could not decode group info");
};
const spec = { label: "runner-check", cases, keyOf: (c: { id: string }) => c.id, run };

test("the known failures fail as listed: the run passes and counts them", async (t) => {
  const known = knownFailures({ cause: "some-cause", symptom: /decode group info/, cases: ["broken"] });
  assert.deepEqual(await runCases(t, { ...spec, known }), { passed: 1, knownFailures: 1, unsupported: 0 });
});

test("a failure that is not listed fails the run", async (t) => {
  await assert.rejects(runCases(t, spec), /runner-check#broken fails: Error: Could not decode group info/);
});

test("a listed case that passes fails the run", async (t) => {
  const known = knownFailures({ cause: "some-cause", symptom: /./, cases: ["ok", "broken"] });
  await assert.rejects(runCases(t, { ...spec, known }), /runner-check#ok passes now but is listed as a known failure \(some-cause\)/);
});

test("a listed case failing with another symptom, or a listed case that does not exist, fails the run", async (t) => {
  await assert.rejects(runCases(t, { ...spec, known: knownFailures({ cause: "c", symptom: /reading 'extensions'/, cases: ["broken"] }) }), /fails differently/);
  await assert.rejects(
    runCases(t, { ...spec, known: knownFailures({ cause: "c", symptom: /decode/, cases: ["broken", "gone"] }) }),
    /runner-check#gone is listed as a known failure but there is no such case/,
  );
});
