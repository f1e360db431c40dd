import js from "@eslint/js";
import tseslint from "typescript-eslint";
import noRelativeImportAcrossPackages from "./eslint/no-relative-import-across-packages.js";

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
    plugins: { repo: { rules: { "no-relative-import-across-packages": noRelativeImportAcrossPackages } } },
    rules: { "repo/no-relative-import-across-packages": "error" },
  },
);
