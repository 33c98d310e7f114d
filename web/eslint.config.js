// ESLint for Lincah's JavaScript: the bundle sources (src/, ES modules bundled by esbuild), the build script (Node)
// and the pages' own scripts in api/web/static/ (plain scripts, served as they are). Paths are from the repository
// root: `npm run lint` runs ESLint there with this file as its --config, because api/web/static/ lies outside web/.
import js from "@eslint/js";
import globals from "globals";

const OWN_CODE = ["web/src/**/*.js", "web/build*.mjs", "web/eslint.config.js", "api/web/static/**/*.js"];

export default [
  { files: OWN_CODE, ...js.configs.recommended },
  {
    files: ["web/src/**/*.js"],
    languageOptions: { sourceType: "module", globals: globals.browser },
  },
  {
    files: ["web/build*.mjs", "web/eslint.config.js"],
    languageOptions: { sourceType: "module", globals: globals.node },
  },
  {
    files: ["api/web/static/**/*.js"],
    languageOptions: { sourceType: "script", globals: globals.browser },
  },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
];
