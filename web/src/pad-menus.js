// The context pad's "change element" and "align elements" menus, opened below the pad without ContextPad#getPad.
// bpmn-js 18 still places both through getPad, which diagram-js deprecated and warns about on every click
// (bpmn-io/diagram-js#888); the pad the "contextPad.open" event hands out is the same element, so these entries
// measure that one. Same menus, same options, same place.
const Y_OFFSET = 5;

export default function PadMenus(contextPad, eventBus, popupMenu, translate) {
  let pad = null;
  eventBus.on("contextPad.open", ({ current }) => { pad = current.html; });
  eventBus.on("contextPad.close", () => { pad = null; });

  const belowPad = (event) => {
    const cursor = { x: event.x, y: event.y };
    if (!pad) return { ...cursor, cursor };
    const rect = pad.getBoundingClientRect();
    return { x: rect.left, y: rect.bottom + Y_OFFSET, cursor };
  };

  this.getContextPadEntries = () => (entries) => {
    if (!entries.replace) return entries;
    const click = (event, element) => popupMenu.open(element, "bpmn-replace", belowPad(event), {
      title: translate("Change element"), width: "var(--bpmn-replace-popup-width, 300px)", search: true,
    });
    return { ...entries, replace: { ...entries.replace, action: { click } } };
  };

  this.getMultiElementContextPadEntries = () => (entries) => {
    const align = entries["align-elements"];
    if (!align) return entries;
    const click = (event, elements) => popupMenu.open(elements, "align-elements", belowPad(event));
    return { ...entries, "align-elements": { ...align, action: { click } } };
  };

  // After bpmn-js's providers (priority 1000 and 900), so their entries are there to be adjusted.
  contextPad.registerProvider(100, this);
}
PadMenus.$inject = ["contextPad", "eventBus", "popupMenu", "translate"];

export const PadMenusModule = {
  __init__: ["lincahPadMenus"],
  lincahPadMenus: ["type", PadMenus],
};
