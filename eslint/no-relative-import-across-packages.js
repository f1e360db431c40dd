// ESLint rule: a relative import stays inside the package of the file that has it. Another package (a workspace of
// the root package.json, or the root itself: bench/, vitest.config.ts) is reached by its name and `exports`, e.g.
// `@saga/order-service/testing`, so what the fault suite, the bench and the tests use is what the package offers.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.dirname(import.meta.dirname);

/** Every workspace folder of the root package.json, longest first (so a nested one wins). */
function workspaceFolders() {
  const { workspaces = [] } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const folders = workspaces.flatMap((pattern) => {
    if (!pattern.endsWith("/*")) return [path.join(ROOT, pattern)];
    const parent = path.join(ROOT, pattern.slice(0, -2));
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(path.join(parent, entry.name, "package.json")))
      .map((entry) => path.join(parent, entry.name));
  });
  return folders.sort((a, b) => b.length - a.length);
}

const WORKSPACES = workspaceFolders();

/** The folder of the package a path belongs to: its workspace, or the repository root. */
function packageOf(file) {
  return WORKSPACES.find((folder) => file === folder || file.startsWith(folder + path.sep)) ?? ROOT;
}

export default {
  meta: {
    type: "problem",
    docs: { description: "forbid relative imports that leave the importing package" },
    schema: [],
    messages: {
      leaves:
        "'{{source}}' reaches into {{target}}: import that package by its name and exports (e.g. a ./testing entry), not by a relative path",
    },
  },
  create(context) {
    const from = packageOf(context.filename);
    const check = (node) => {
      const source = node?.value;
      if (node?.type !== "Literal" || typeof source !== "string" || !source.startsWith(".")) return;
      const target = packageOf(path.resolve(path.dirname(context.filename), source));
      if (target !== from) {
        const name = path.relative(ROOT, target) || "the repository root";
        context.report({ node, messageId: "leaves", data: { source, target: name } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};
