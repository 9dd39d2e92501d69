// Parses Mermaid files with the real Mermaid library (mermaid.parse under jsdom), as a
// renderer would before drawing them. Usage: node mermaid-parse.mjs FILE...
// The packages `mermaid` (11) and `jsdom` are looked up in $EVENTLAB_NPM/node_modules
// (`.ci/run` installs them there). Prints `ok FILE` or `FAIL FILE: why`; exits 1 on any
// failure, 3 when the packages are missing.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = process.env.EVENTLAB_NPM || join(process.env.HOME || "/tmp", ".cache", "eventlab-npm");
const require = createRequire(join(root, "package.json"));
let JSDOM, mermaidPath;
try {
  ({ JSDOM } = require("jsdom"));
  mermaidPath = require.resolve("mermaid");
} catch (e) {
  console.error(`mermaid or jsdom missing in ${root}/node_modules: ${e.message}`);
  process.exit(3);
}
const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
for (const name of ["window", "document", "navigator", "Element", "HTMLElement", "SVGElement", "DOMParser", "MutationObserver"]) {
  if (globalThis[name] === undefined && dom.window[name] !== undefined) {
    Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true, writable: true });
  }
}
// The ESM build of mermaid, wherever its package points.
const mermaidUrl = "file://" + mermaidPath.replace(/mermaid\.core\.mjs$|mermaid\.js$|mermaid\.min\.js$/, "mermaid.core.mjs");
let mermaid;
try {
  mermaid = (await import(mermaidUrl)).default;
} catch {
  mermaid = (await import("file://" + mermaidPath)).default;
}
mermaid.initialize({ startOnLoad: false });
let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  try {
    const result = await mermaid.parse(text);
    if (!result || result.diagramType !== "sequence") {
      throw new Error(`parsed as ${result && result.diagramType}, not a sequence diagram`);
    }
    console.log(`ok ${file}`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${file}: ${String(e.message || e).split("\n").slice(0, 4).join(" | ")}`);
  }
}
process.exit(failed ? 1 : 0);
