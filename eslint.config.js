import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/", "generated/", "generator/codegen/test/golden/", "data/", "**/dist/"] },
  js.configs.recommended,
  { languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } } },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    // The runtime is what services load: it must never reach into the build-time generator.
    files: ["generator/runtime/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["@asyncgen/cli", "**/codegen/**", "@asyncapi/*", "handlebars", "prettier"] },
      ],
    },
  },
  {
    // Packages reach each other through their exports (e.g. @saga/order-service/testing), never by relative paths.
    files: ["services/**/*.ts", "bench/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(\\.\\./)+(services/)?([a-z]+-service|service-kit|system)/",
              message: "import the other package by its name and exports, not by a relative path",
            },
          ],
        },
      ],
    },
  },
);
