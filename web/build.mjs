// Copies the browser files the pages need from node_modules into api/static/dist/ (ignored by git).
// No bundler: the pages load these files as they are, from the server itself (no CDN), so the office network
// needs no internet. Part 2 (the modeler) adds its files to FILES.
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "api", "static", "dist");

// [source under node_modules, target under api/static/dist]
const FILES = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"],
  ["bpmn-js/dist/assets/diagram-js.css", "bpmn-js/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js/bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css", "bpmn-js/bpmn-embedded.css"],
];

rmSync(out, { recursive: true, force: true });
let bytes = 0;
for (const [source, target] of FILES) {
  const from = join(modules, source);
  const to = join(out, target);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  bytes += statSync(to).size;
}
console.log(`web assets: ${FILES.length} files (${Math.round(bytes / 1024)} KB) in api/static/dist/`);
