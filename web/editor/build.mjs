// Bundles the modeler (bpmn-js Modeler + properties panel + Camunda 7 moddle + the Lincah group) and the
// dashboard (chart.js + bpmn-js viewer) with esbuild into api/static/dist/editor/ (ignored by git; no CDN).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "..", "api", "static", "dist", "editor");

const STYLES = [
  ["bpmn-js/dist/assets/diagram-js.css", "diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css", "bpmn-embedded.css"],
  ["@bpmn-io/properties-panel/dist/assets/properties-panel.css", "properties-panel.css"],
];

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { modeler: join(here, "src", "modeler.js"), dashboard: join(here, "src", "dashboard.js") },
  bundle: true, minify: true, format: "iife", target: ["es2020"], outdir: out, legalComments: "linked",
  loader: { ".json": "json" }, logLevel: "warning",
});
for (const [source, target] of STYLES) copyFileSync(join(modules, source), join(out, target));
const sizes = ["modeler.js", "dashboard.js"].map((f) => `${f} ${Math.round(statSync(join(out, f)).size / 1024)} KB`);
console.log(`editor bundle: ${sizes.join(", ")} in api/static/dist/editor/`);
