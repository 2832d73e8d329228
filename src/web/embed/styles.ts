// The component's styles, inside its shadow root. Theming from the host page: the --cutout-*
// custom properties (they inherit through the shadow boundary) and the ::part() names in view.ts.
export const CSS = `
:host {
  --_accent: var(--cutout-accent, #3b63f6);
  --_accent-text: var(--cutout-accent-text, #fff);
  --_bg: var(--cutout-background, #fff);
  --_fg: var(--cutout-color, #1b1f29);
  --_muted: var(--cutout-muted, #5c6370);
  --_border: var(--cutout-border, #c9ceda);
  --_error: var(--cutout-error, #b42318);
  --_radius: var(--cutout-radius, 12px);
  display: block;
  box-sizing: border-box;
  max-width: 100%;
  font: var(--cutout-font, 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  color: var(--_fg);
}
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: inherit; }
.box {
  position: relative;
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: 12px;
  min-height: 220px;
  padding: 20px;
  border: 2px dashed var(--_border);
  border-radius: var(--_radius);
  background: var(--_bg);
  text-align: center;
  justify-content: center;
  outline: none;
}
.box:focus-visible { box-shadow: 0 0 0 3px color-mix(in srgb, var(--_accent) 40%, transparent); }
.box.over { border-color: var(--_accent); background: color-mix(in srgb, var(--_accent) 8%, var(--_bg)); }
.box[data-state="done"], .box[data-state="working"] { border-style: solid; }
.hint { margin: 0; color: var(--_muted); }
.title { margin: 0; font-weight: 600; font-size: 1.05em; }
button, a.button {
  font: inherit;
  font-weight: 600;
  min-height: 44px;
  padding: 10px 18px;
  border: 1px solid var(--_border);
  border-radius: calc(var(--_radius) * 0.66);
  background: var(--_bg);
  color: var(--_fg);
  cursor: pointer;
  text-decoration: none;
  display: inline-flex;
  align-items: center;
  justify-content: center;
}
button.primary, a.button.primary { background: var(--_accent); border-color: var(--_accent); color: var(--_accent-text); }
button:focus-visible, a.button:focus-visible { outline: 3px solid color-mix(in srgb, var(--_accent) 55%, transparent); outline-offset: 2px; }
.file { position: absolute; width: 1px; height: 1px; opacity: 0; overflow: hidden; clip: rect(0 0 0 0); }
.section { display: none; width: 100%; flex-direction: column; align-items: center; gap: 12px; }
[data-state="idle"] .idle, [data-state="working"] .working, [data-state="done"] .done, [data-state="error"] .error { display: flex; }
.bar { width: min(100%, 360px); height: 8px; border-radius: 4px; background: color-mix(in srgb, var(--_border) 55%, transparent); overflow: hidden; }
.bar span { display: block; height: 100%; width: 0; background: var(--_accent); transition: width 0.3s ease; }
.status { margin: 0; color: var(--_muted); }
.status:empty { display: none; }
.preview { max-width: 100%; max-height: 160px; border-radius: 6px; opacity: 0.55; }
.checker {
  display: flex;
  max-width: 100%;
  border-radius: 6px;
  background: repeating-conic-gradient(#d9dce3 0% 25%, #fff 0% 50%) 0 0 / 16px 16px;
}
.result { display: block; max-width: 100%; max-height: var(--cutout-result-max-height, 420px); object-fit: contain; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; justify-content: center; }
.message { margin: 0; color: var(--_error); font-weight: 600; max-width: 46ch; overflow-wrap: anywhere; }
@media (prefers-reduced-motion: reduce) { .bar span { transition: none; } }
`;

/** The styles as a constructable sheet (not subject to a host page's style-src CSP), else a <style>. */
export function applyStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    return;
  }
  const style = document.createElement('style');
  style.textContent = CSS;
  root.append(style);
}
