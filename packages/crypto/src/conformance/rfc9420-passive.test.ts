// RFC 9420 conformance, passive client: passive-client-welcome.json,
// passive-client-handling-commit.json and passive-client-random.json from the official
// test vectors (../shared/mls-vectors/test-vectors/), through Parley's join and
// message-processing core and, for the suites Parley offers, the server's key-less
// checks (testing/passive-client.ts says exactly which code runs). No known failures.
import { test } from "node:test";
import { runVectorFile } from "../testing/mls-vectors.ts";
import { runPassiveClient, type PassiveCase } from "../testing/passive-client.ts";

for (const name of ["passive-client-welcome", "passive-client-handling-commit", "passive-client-random"]) {
  test(`RFC 9420 vectors: ${name}.json`, async (t) => {
    await runVectorFile<PassiveCase>(t, {
      file: `test-vectors/${name}.json`,
      suiteOf: (c) => c.cipher_suite,
      run: (c, suite) => runPassiveClient(c, suite!),
    });
  });
}
