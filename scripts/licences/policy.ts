// Which licences Parley can ship under Apache-2.0 (docs/licences.md). The lists
// follow the Apache Software Foundation's third-party licence policy: category A
// (permissive) may go anywhere; category B (weak, file-level copyleft) may ship
// only unmodified and in source form; category X (copyleft that reaches the
// whole program, non-commercial or proprietary terms) may not ship at all.
import parseSpdx from "spdx-expression-parse";

/** How a licence (or an expression of licences) can be shipped with Parley. */
export type Verdict =
  /** permissive: ships anywhere, keep its notice */
  | "allowed"
  /** file-level copyleft: ships unmodified in source form (node_modules), not inside the minified web bundle */
  | "weak-copyleft"
  /** copyleft over the whole program, non-commercial or proprietary: never ships */
  | "denied"
  /** not on any list, not SPDX, or not found: a person has to look */
  | "unknown";

/** A classification and the licence that decided it (the worst term of an AND, the best of an OR). */
export type Classification = { verdict: Verdict; decidedBy: string };

/** Category A: permissive licences (and public-domain dedications, and CC-BY for data). */
const PERMISSIVE = new Set([
  "0BSD",
  "Apache-2.0",
  "BlueOak-1.0.0",
  "BSD-2-Clause",
  "BSD-3-Clause",
  "BSD-3-Clause-Clear",
  "BSL-1.0",
  "CC-BY-3.0",
  "CC-BY-4.0",
  "CC0-1.0",
  "ISC",
  "MIT",
  "MIT-0",
  "PostgreSQL",
  "Python-2.0",
  "Unicode-3.0",
  "Unicode-DFS-2016",
  "Unlicense",
  "W3C",
  "X11",
  "Zlib",
]);

/** Category B: copyleft limited to the licensed files themselves. */
const WEAK_COPYLEFT = new Set(["MPL-1.1", "MPL-2.0", "MPL-2.0-no-copyleft-exception", "EPL-1.0", "EPL-2.0", "CDDL-1.0", "CDDL-1.1"]);

/** Category X: named so the message can say why, rather than "unknown". */
const DENIED = /^(A?GPL|LGPL|SSPL|BUSL|EUPL|OSL|CPAL|RPL|Sleepycat|CC-BY-(NC|ND|SA))/;

/** Ranks verdicts from best to worst; an OR takes the best side, an AND the worst. */
const RANK: Record<Verdict, number> = { allowed: 0, "weak-copyleft": 1, unknown: 2, denied: 3 };

/** Classifies one licence id (SPDX, or a family such as `GPL` read from a licence file). */
export function classifyId(id: string): Verdict {
  if (PERMISSIVE.has(id)) return "allowed";
  if (WEAK_COPYLEFT.has(id)) return "weak-copyleft";
  if (DENIED.test(id)) return "denied";
  return "unknown";
}

function classifyNode(node: parseSpdx.Info): Classification {
  if ("conjunction" in node) {
    const left = classifyNode(node.left);
    const right = classifyNode(node.right);
    const leftWins = node.conjunction === "or" ? RANK[left.verdict] <= RANK[right.verdict] : RANK[left.verdict] >= RANK[right.verdict];
    return leftWins ? left : right;
  }
  // "-or-later" (`+`) keeps the family; a WITH exception only ever adds
  // permissions, so it cannot make an allowed licence worse (nor a denied one
  // acceptable without review).
  const id = node.license + (node.plus ? "+" : "") + (node.exception ? ` WITH ${node.exception}` : "");
  return { verdict: classifyId(node.license), decidedBy: id };
}

/**
 * Classifies an SPDX licence expression (`MIT`, `(MIT OR GPL-3.0-only)`,
 * `Apache-2.0 WITH LLVM-exception`). Anything that is not valid SPDX, including
 * `UNLICENSED` and `SEE LICENSE IN ...`, is "unknown" unless it is proprietary.
 */
export function classifyExpression(expression: string): Classification {
  const trimmed = expression.trim();
  if (/^UNLICENSED$/i.test(trimmed)) return { verdict: "denied", decidedBy: "UNLICENSED" };
  try {
    return classifyNode(parseSpdx(trimmed));
  } catch {
    return { verdict: "unknown", decidedBy: trimmed };
  }
}

/** Whether a verdict may ship in a workspace; bundled code is no longer the "unmodified source form" category B needs. */
export function acceptable(verdict: Verdict, bundled: boolean): boolean {
  return verdict === "allowed" || (verdict === "weak-copyleft" && !bundled);
}

/** A workspace Parley ships, whose production dependency closure is checked. */
export type ShippedWorkspace = {
  /** path from the repository root */
  dir: string;
  /** true when its code and dependencies end up minified in one bundle (the web app) */
  bundled?: boolean;
};

/** Parley's shipped workspaces. bench/ and every devDependency are tools, not shipped. */
export const SHIPPED_WORKSPACES: readonly ShippedWorkspace[] = [
  { dir: "packages/protocol" },
  { dir: "packages/crypto" },
  { dir: "packages/sdk" },
  { dir: "packages/server" },
  { dir: "packages/cli" },
  { dir: "packages/web", bundled: true },
];

/** What to do about each verdict, for the one-line error. */
export function advice(verdict: Verdict, bundled: boolean): string {
  const review = "add it with a reason to scripts/licences/exceptions.ts (docs/licences.md)";
  switch (verdict) {
    case "denied":
      return `copyleft or non-free terms would reach Parley — remove or replace it (or the package that brings it in), or after legal review ${review}`;
    case "weak-copyleft":
      return bundled
        ? `file-level copyleft inside the minified web bundle needs a source offer and notice — replace it, or after legal review ${review}`
        : `file-level copyleft ships only unmodified — replace it, or after legal review ${review}`;
    case "unknown":
      return `licence not recognised — find its real licence (LICENSE file, repository) and if it is acceptable ${review}`;
    case "allowed":
      return "allowed";
  }
}
