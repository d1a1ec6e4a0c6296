// The RFC 9420 test vectors and the MLS interop suite's passive-client cases, read from
// ../shared/mls-vectors/ beside the repository (see its README; never copied into the
// repository), and a runner that checks every case of a file against the file's list
// of known failures and prints one summary line per file.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { fromHex } from "../bytes.ts";
import { vectorSuite, type VectorSuite } from "./vector-suites.ts";

/** Where the vectors must be: `../shared/mls-vectors/` from the repository root. */
export const VECTORS_DIR = path.resolve(fileURLToPath(new URL("../../../../", import.meta.url)), "../shared/mls-vectors");

/**
 * The parsed JSON array of a vector file, e.g. `test-vectors/welcome.json`. A missing
 * folder or file fails the test (it is never skipped): the conformance suites are part
 * of `./run test`.
 */
export function loadVectors<C>(file: string): C[] {
  const full = path.join(VECTORS_DIR, file);
  if (!existsSync(full)) {
    throw new Error(
      `MLS test vectors missing: expected ${full} (the folder ../shared/mls-vectors/ beside the repository root, ` +
        `from mlswg/mls-implementations: test-vectors/ and interop-passive/). The conformance tests need it; they are not skipped.`,
    );
  }
  const cases: unknown = JSON.parse(readFileSync(full, "utf8"));
  if (!Array.isArray(cases) || cases.length === 0) throw new Error(`${full} is not a non-empty JSON array of test cases`);
  return cases as C[];
}

/** Hex (as the vectors write bytes) to bytes. */
export const hex = (s: string): Uint8Array => fromHex(s);

/** A case expected to fail under the pinned ts-mls, and how. */
export interface KnownFailure {
  /** Short id of the cause (the test file's cause table says what it is and which upstream change fixes it). */
  cause: string;
  /** What the failure's message must match, so a listed case failing for another reason is caught too. */
  symptom: RegExp;
  /** A second cause behind the first: once the first is fixed the case still fails, with this one. */
  then?: string;
}

/** How one vector file went. */
export interface FileResult {
  passed: number;
  knownFailures: number;
  unsupported: number;
}

interface CaseSpec<C> {
  /** Name in messages and the summary line: the vector file's path, or a name for a list of checks. */
  label: string;
  cases: readonly C[];
  /** A case's stable id in the known-failure list: its index by default (position in the file's array). */
  keyOf?: (c: C, index: number) => number | string;
  /** The suite a case runs under; omit for files without suites (tree math, codecs). */
  suiteOf?: (c: C) => number;
  /** Runs one case; throws (an assertion or the library's error) when it does not conform. */
  run: (c: C, suite: VectorSuite | undefined, index: number) => Promise<void>;
  /** Known failures by case id. */
  known?: ReadonlyMap<number | string, KnownFailure>;
}

/** {@link runCases} over a vector file (`file`: its path under ../shared/mls-vectors/). */
export function runVectorFile<C>(t: TestContext, spec: Omit<CaseSpec<C>, "label" | "cases"> & { file: string }): Promise<FileResult> {
  return runCases(t, { ...spec, label: spec.file, cases: loadVectors<C>(spec.file) });
}

/**
 * Runs every case and fails unless exactly the known failures fail, each with its
 * symptom. Cases of an unsupported suite are counted, not run. Prints one summary line.
 */
export async function runCases<C>(t: TestContext, spec: CaseSpec<C>): Promise<FileResult> {
  const known = spec.known ?? new Map<number | string, KnownFailure>();
  const keyOf = spec.keyOf ?? ((_c: C, index: number) => index);
  const problems: string[] = [];
  const seen = new Set<number | string>();
  const unsupportedSuites = new Set<number>();
  const suiteSeconds = new Map<number, number>();
  const result: FileResult = { passed: 0, knownFailures: 0, unsupported: 0 };
  const started = performance.now();
  for (const [index, c] of spec.cases.entries()) {
    const key = keyOf(c, index);
    const id = `${spec.label}#${key}`;
    seen.add(key);
    let suite: VectorSuite | undefined;
    if (spec.suiteOf) {
      const n = spec.suiteOf(c);
      suite = await vectorSuite(n);
      if (!suite) {
        result.unsupported++;
        unsupportedSuites.add(n);
        if (known.has(key)) problems.push(`${id} is listed as a known failure but its suite ${n} is not run`);
        continue;
      }
    }
    let error: unknown;
    const caseStarted = performance.now();
    try {
      await spec.run(c, suite, index);
    } catch (err) {
      error = err ?? new Error("undefined thrown");
    }
    if (suite) suiteSeconds.set(suite.id, (suiteSeconds.get(suite.id) ?? 0) + (performance.now() - caseStarted) / 1000);
    const expected = known.get(key);
    if (error === undefined) {
      if (expected) problems.push(`${id} passes now but is listed as a known failure (${causes(expected)}): remove it from the list`);
      else result.passed++;
    } else if (!expected) {
      problems.push(`${id}${suite ? ` (suite ${suite.id})` : ""} fails: ${describe(error)}`);
    } else if (!expected.symptom.test(describe(error))) {
      problems.push(`${id} is a known failure (${causes(expected)}) but fails differently: ${describe(error)}`);
    } else {
      result.knownFailures++;
    }
  }
  for (const key of known.keys()) if (!seen.has(key)) problems.push(`${spec.label}#${key} is listed as a known failure but there is no such case`);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const skipped = unsupportedSuites.size ? ` (suites ${[...unsupportedSuites].sort().join(", ")})` : "";
  // Time per suite: most of it goes to the P-256/384/521 suites of ts-mls's default provider.
  const perSuite =
    suiteSeconds.size > 1 && Number(seconds) >= 2
      ? ` (${[...suiteSeconds]
          .sort(([a], [b]) => a - b)
          .map(([id, s]) => `suite ${id} ${s.toFixed(1)}`)
          .join(", ")})`
      : "";
  const line = `${spec.label}: ${result.passed} passed, ${result.knownFailures} known failures, ${result.unsupported} unsupported suite${skipped}, ${seconds} s${perSuite}`;
  t.diagnostic(line);
  if (problems.length > 0) {
    const shown = problems.slice(0, 40).join("\n  ");
    assert.fail(
      `${spec.label}: ${problems.length} unexpected outcome(s):\n  ${shown}${problems.length > 40 ? `\n  ... and ${problems.length - 40} more` : ""}`,
    );
  }
  return result;
}

const causes = (k: KnownFailure) => (k.then ? `${k.cause}, then ${k.then}` : k.cause);

/** An error's message with the messages of its causes (E2eeError wraps the library's). */
function describe(err: unknown): string {
  const parts: string[] = [];
  let last = "";
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    const message = e instanceof Error ? e.message : String(e);
    // E2eeError and the step wrapper repeat the library's message: name it once.
    if (!last.endsWith(message)) parts.push(e instanceof Error ? `${e.name}: ${message}` : message);
    else parts.push(e instanceof Error ? e.name : "");
    last = message;
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(" <- ");
}

/** Known failures from compact lists: `{ cause, symptom, then?, cases: [ids] }`. */
export function knownFailures(...groups: (KnownFailure & { cases: readonly (number | string)[] })[]): Map<number | string, KnownFailure> {
  const out = new Map<number | string, KnownFailure>();
  for (const { cases, ...known } of groups) {
    for (const i of cases) {
      if (out.has(i)) throw new Error(`case ${i} is listed twice`);
      out.set(i, known);
    }
  }
  return out;
}
