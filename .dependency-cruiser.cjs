/**
 * Module-graph rules (run by `npm run lint`): no import cycles, and the
 * one-way package boundaries of docs/architecture.md §2 / ARCHITECTURE §2:
 *
 *   protocol  <-  crypto  <-  sdk  <-  cli, web, bot (and bot <- cli)
 *   protocol  <-  server  <-  cli (`parley start` embeds the server)
 *
 * Tests (`*.test.ts`, test/) and bench/ may import anything. The server's
 * testing/ folder (harness, factories) is for tests only; each package's
 * src/testing/ holds test support code and counts as test code.
 */
const TEST_FILE = "(^test/|\\.test\\.ts$|^bench/|^packages/[^/]+/src/testing/)";

/** A boundary rule: files under `from` may import only the listed packages (besides themselves and npm deps). */
function onlyImports(name, pkg, allowed) {
  const others = ["protocol", "crypto", "sdk", "server", "cli", "web", "bot"].filter((p) => p !== pkg && !allowed.includes(p));
  return {
    name,
    severity: "error",
    comment: `${pkg} may import ${allowed.length ? allowed.join(", ") : "none of our packages"} (docs/architecture.md, package boundaries)`,
    from: { path: `^packages/${pkg}/`, pathNot: TEST_FILE },
    to: { path: `^(packages/(${others.join("|")})/|bench/|test/)` },
  };
}

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "Import cycles make load order and ownership unclear (CONVENTIONS: no import cycles), type-only ones included: they tie modules together just the same.",
      from: {},
      to: { circular: true },
    },
    {
      name: "server-domain-not-http",
      severity: "error",
      comment:
        "Domain code (modules, platform, gateway) never imports the HTTP layer: errors live in core/errors.ts, handler types in core/handlers.ts (issue 8).",
      from: { path: "^packages/server/src/(modules|platform|gateway)/" },
      to: { path: "^packages/server/src/http/" },
    },
    onlyImports("protocol-imports-nothing", "protocol", []),
    onlyImports("crypto-imports-protocol-only", "crypto", ["protocol"]),
    // ARCHITECTURE §2 puts crypto under sdk (E2EE is wired into the SDK).
    onlyImports("sdk-imports-protocol-only", "sdk", ["protocol", "crypto"]),
    onlyImports("server-imports-protocol-only", "server", ["protocol", "crypto"]),
    {
      name: "server-imports-crypto-public-only",
      severity: "error",
      comment:
        "The server is the MLS delivery/authentication service: it may use only the key-less public entry of packages/crypto (docs/architecture.md, departures)",
      from: { path: "^packages/server/", pathNot: TEST_FILE },
      to: { path: "^packages/crypto/", pathNot: "^packages/crypto/src/public\\.ts$" },
    },
    onlyImports("cli-imports-sdk-protocol-server", "cli", ["sdk", "protocol", "server", "crypto", "bot"]),
    // Bots are SDK clients with their own devices and keys (issue 13): the server never holds their keys.
    onlyImports("bot-imports-sdk-protocol-crypto", "bot", ["sdk", "protocol", "crypto"]),
    onlyImports("web-imports-sdk-protocol-crypto", "web", ["sdk", "protocol", "crypto"]),
    {
      name: "server-testing-is-test-only",
      severity: "error",
      comment: "packages/server/src/testing (harness, factories) is for *.test.ts, test/ and bench/ only",
      from: { pathNot: [TEST_FILE, "^packages/server/src/testing/"] },
      to: { path: "^packages/server/src/testing/" },
    },
    {
      name: "crypto-testing-is-test-only",
      severity: "error",
      comment: "packages/crypto/src/testing (the conformance harness: a passive client that accepts any credential) is for tests only",
      from: { pathNot: TEST_FILE },
      to: { path: "^packages/crypto/src/testing/" },
    },
    {
      name: "mls-only-in-crypto",
      severity: "error",
      comment: "ts-mls is wrapped by packages/crypto; nothing else imports it (ARCHITECTURE §5)",
      from: { pathNot: "^packages/crypto/" },
      to: { path: "(^|/)node_modules/ts-mls/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve fails at run time (Node resolves no extensions: write ./x.ts)",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|dist|\\.tools|\\.data)/" },
    // Count `import type` edges too, so boundaries hold for types as well;
    // no-circular ignores them (see its viaOnly).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    // Workspace packages are symlinks in node_modules/@parley: follow them to
    // packages/<name>/ so boundary rules see the real paths.
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "node", "default"],
      extensions: [".ts", ".js", ".cjs", ".mjs", ".json"],
      mainFields: ["module", "main", "types"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
