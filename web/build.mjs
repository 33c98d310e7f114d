// Builds the browser files of Lincah's pages into api/static/dist/ (ignored by git). The server serves them itself,
// never a CDN, so an office network needs no internet. Two kinds of file:
// - copied as they are from node_modules: htmx and the bpmn-js viewer with its styles (every page that shows a
//   diagram loads them);
// - bundled with esbuild from src/ into editor/: the analyst's modeler (bpmn-js Modeler + properties panel + Camunda 7
//   moddle + the Lincah group), the manager dashboard (chart.js + the bpmn-js viewer) and the analyst's table editor
//   (dmn-js, its decision table view first), with the styles they use.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "api", "static", "dist");

// [source under node_modules, target under api/static/dist]
const COPIED = [
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"],
  ["bpmn-js/dist/assets/diagram-js.css", "bpmn-js/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js/bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css", "bpmn-js/bpmn-embedded.css"],
  ["bpmn-js/dist/assets/diagram-js.css", "editor/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "editor/bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css", "editor/bpmn-embedded.css"],
  ["@bpmn-io/properties-panel/dist/assets/properties-panel.css", "editor/properties-panel.css"],
  // the table editor (dmn-js): its views' styles and its icon font, embedded in the CSS
  ["dmn-js/dist/assets/dmn-js-shared.css", "editor/dmn-js-shared.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table.css", "editor/dmn-js-decision-table.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table-controls.css", "editor/dmn-js-decision-table-controls.css"],
  ["dmn-js/dist/assets/dmn-js-drd.css", "editor/dmn-js-drd.css"],
  ["dmn-js/dist/assets/dmn-js-literal-expression.css", "editor/dmn-js-literal-expression.css"],
  ["dmn-js/dist/assets/dmn-font/css/dmn-embedded.css", "editor/dmn-font.css"],
];

// esbuild entry points, each written to api/static/dist/editor/<name>.js
const BUNDLES = { modeler: "src/modeler.js", dashboard: "src/dashboard.js", "dmn-modeler": "src/dmn-modeler.js" };

rmSync(out, { recursive: true, force: true });
for (const [source, target] of COPIED) {
  const to = join(out, target);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(modules, source), to);
}
await build({
  entryPoints: Object.fromEntries(Object.entries(BUNDLES).map(([name, source]) => [name, join(here, source)])),
  bundle: true, minify: true, format: "iife", target: ["es2020"], outdir: join(out, "editor"), legalComments: "linked",
  loader: { ".json": "json" }, logLevel: "warning",
});

const kb = (target) => Math.round(statSync(join(out, target)).size / 1024);
const copied = COPIED.reduce((sum, [, target]) => sum + kb(target), 0);
const bundled = Object.keys(BUNDLES).map((name) => `editor/${name}.js ${kb(`editor/${name}.js`)} KB`);
console.log(`web assets in api/static/dist/: ${COPIED.length} files copied (${copied} KB), ${bundled.join(", ")}`);
