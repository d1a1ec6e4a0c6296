// Interoperability, continued: the MLS interop suite's branch.json and reinit.json
// passive-client cases (resumption: a passive client joins the branched or re-initialised
// group from its Welcome), run like the rest in mls-interop.test.ts — which holds the
// known-failure list and its causes; none of these cases is on it. A file of its own so
// the test runner spreads the interop cases over two processes.
import { test } from "node:test";
import { runVectorFile } from "../testing/mls-vectors.ts";
import { runPassiveClient, type PassiveCase } from "../testing/passive-client.ts";

for (const name of ["branch", "reinit"]) {
  test(`interop passive cases: ${name}.json`, async (t) => {
    await runVectorFile<PassiveCase>(t, {
      file: `interop-passive/${name}.json`,
      suiteOf: (c) => c.cipher_suite,
      run: (c, suite) => runPassiveClient(c, suite!),
    });
  });
}
