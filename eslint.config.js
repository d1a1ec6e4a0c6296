// ESLint flat config. Rules mirror /work/shared/CONVENTIONS.md (docs/architecture.md
// links it): typescript-eslint's recommended set without type information, so
// `npm run lint` stays fast enough to run before every commit. Import cycles and
// package boundaries are checked by dependency-cruiser (.dependency-cruiser.cjs),
// which sees the whole module graph.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import { defineConfig } from "eslint/config";

export default defineConfig(
  {
    ignores: ["**/node_modules/**", ".tools/**", ".data/**", "packages/web/dist/**", "**/dist/**", "coverage/**", "bench/results/**"],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: {
        // Node 24 and browser globals the code uses; `no-undef` is off for .ts
        // below (the compiler checks names), so this list only serves .js files.
        process: "readonly",
        console: "readonly",
        Buffer: "readonly",
        URL: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        setInterval: "readonly",
        clearInterval: "readonly",
        setImmediate: "readonly",
        queueMicrotask: "readonly",
        structuredClone: "readonly",
        fetch: "readonly",
        TextEncoder: "readonly",
        TextDecoder: "readonly",
        AbortController: "readonly",
        WebSocket: "readonly",
        performance: "readonly",
      },
    },
    linterOptions: {
      // "Every lint suppression carries a reason" — and stale ones are removed.
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      // Unused code is removed (CONVENTIONS: dead code is removed). A leading
      // underscore marks a parameter required by a signature but not used.
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrors: "none",
          ignoreRestSiblings: true,
        },
      ],
      // `import type` for types (verbatimModuleSyntax; Node strips types, so a
      // value import of a type would fail at run time). Inline `import("x").T`
      // annotations are erased too, so they stay allowed.
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
      // Node's type stripping only accepts erasable syntax (no enums, namespaces,
      // parameter properties); tsconfig's erasableSyntaxOnly checks it too.
      "no-restricted-syntax": [
        "error",
        { selector: "TSEnumDeclaration", message: "enums are not erasable: use a const object or a union (Node type stripping)" },
        { selector: "TSModuleDeclaration[kind='namespace']", message: "namespaces are not erasable (Node type stripping)" },
        { selector: "TSParameterProperty", message: "parameter properties are not erasable (Node type stripping)" },
      ],
      // Every suppression carries a reason: `// eslint-disable-next-line rule -- why`.
      "@typescript-eslint/ban-ts-comment": [
        "error",
        {
          "ts-expect-error": "allow-with-description",
          "ts-ignore": true,
          "ts-nocheck": true,
          minimumDescriptionLength: 8,
        },
      ],
      // Relative imports name the .ts file (Node resolves nothing by itself).
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^\\.{1,2}/.*(?<!\\.(ts|js|cjs|mjs|json))$", message: "relative imports end in .ts (Node type stripping resolves no extensions)" },
          ],
        },
      ],
      eqeqeq: ["error", "always", { null: "ignore" }],
      "prefer-const": "error",
      "no-var": "error",
    },
  },
  {
    files: ["**/*.ts"],
    rules: {
      // The compiler resolves names in TypeScript; ESLint's scope analysis
      // does not know ambient types such as NodeJS.ProcessEnv.
      "no-undef": "off",
    },
  },
  {
    // Other packages, system tests and benches reach the server's test harness through its
    // declared package entry (@parley/server/testing/*), never by a path into its sources.
    files: ["packages/{sdk,cli,protocol,crypto}/**/*.ts", "bench/**/*.ts", "test/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { regex: "^\\.{1,2}/.*(?<!\\.(ts|js|cjs|mjs|json))$", message: "relative imports end in .ts (Node type stripping resolves no extensions)" },
            { regex: "^(\\.{1,2}/)+(packages/)?server/src/testing/", message: "import the server's test harness as @parley/server/testing/<name>" },
          ],
        },
      ],
    },
  },
  {
    // The web app (Vite-bundled): .tsx files, relative imports name the .ts/.tsx file.
    files: ["packages/web/**/*.{ts,tsx}"],
    rules: {
      "no-undef": "off",
      "no-restricted-imports": [
        "error",
        {
          patterns: [{ regex: "^\\.{1,2}/.*(?<!\\.(ts|tsx|css|json))$", message: "relative imports name the file with its extension (.ts, .tsx, .css)" }],
        },
      ],
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly", __dirname: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
