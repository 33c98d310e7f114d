// bpmn-js asks its "translate" service for every text it shows (the palette, the context pad, the "change element"
// menu, the properties panel); this module replaces that service (the documented customTranslate pattern) with the
// texts the modeler page sends, translated by the one catalogue (api/web/views/bpmn_js_texts.py). A text the page
// does not send stays in bpmn-js's English.
export function translateModule(texts) {
  // diagram-js's translate contract: the template in the chosen language, with {placeholders} filled in.
  const translate = (template, replacements = {}) => (texts[template] || template)
    .replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : `{${key}}`));
  return { translate: ["value", translate] };
}
