// The Options panel, made from the options table's `control` entries: one field per option, in
// groups; the three backgrounds as one choice with the chosen one's control. Remembered between
// visits (but the background image file, which a page cannot keep). Every change is checked
// with the api's own parseOptions; the sentence shows under the panel and nothing is uploaded.
// The model picker shows only when the service has more than one model loaded (GET /models).
import { OPTIONS, optionEntry, type Control } from '../options/options.js';
import { describe, isBackground, toRequest, type PanelResult, type PanelValues } from './options-request.js';

export interface OptionsPanel {
  /** The panel's request, or why there is none. */
  current(): PanelResult;
  /** Called after every change; returns a function that stops it. */
  onChange(fn: () => void): () => void;
  /** Opens the panel and moves the focus to the control in trouble. */
  reveal(): void;
}

/** Groups by their title; an option in none of them goes to "More" (a new option shows at once). */
const GROUPS: readonly [title: string, names: readonly string[]][] = [
  ['Crop', ['crop', 'crop_margin']],
  ['Canvas', ['canvas', 'position', 'scale']],
  ['Size', ['size', 'max_width', 'max_height']],
  ['Format', ['format']],
  ['Shadow', ['shadow']],
  ['Output', ['channels']],
  ['Model', ['model']],
];
const STORAGE_KEY = 'cutout-options';
const NO_BACKGROUND = 'none';

type Input = HTMLInputElement | HTMLSelectElement;

/** An element with properties (id, type, textContent…) and children. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string | boolean> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** The text a control starts with: a background's example (so choosing it shows something), else the default. */
function initialText(name: string): string {
  const e = optionEntry(name);
  if (e.control.kind === 'file') return '';
  if (isBackground(name)) {
    const v = String(e.parse(e.example));
    return e.control.kind === 'color' ? v.slice(0, 7) : v;
  }
  return e.control.kind === 'text' ? '' : e.text(e.default);
}

function makeInput(name: string, control: Control): Input {
  const id = `opt-${name}`;
  switch (control.kind) {
    case 'select': {
      const select = el('select', { id, name });
      for (const [value, label] of control.choices) select.append(el('option', { value, textContent: label }));
      return select;
    }
    case 'text':
      return el('input', { id, name, type: 'text', placeholder: control.placeholder, autocomplete: 'off', spellcheck: false });
    case 'color':
      return el('input', { id, name, type: 'color' });
    case 'range':
      return el('input', { id, name, type: 'range', min: String(control.min), max: String(control.max) });
    case 'file':
      return el('input', { id, name, type: 'file', accept: 'image/jpeg,image/png,image/webp,image/avif' });
  }
}

export function createOptionsPanel(root: HTMLDetailsElement, errorEl: HTMLElement): OptionsPanel {
  const body = root.querySelector<HTMLElement>('.options-body')!;
  const summary = root.querySelector<HTMLElement>('.options-summary')!;
  const inputs = new Map<string, Input>();
  const outputs = new Map<string, HTMLOutputElement>();
  const listeners = new Set<() => void>();
  let result: PanelResult;

  const field = (name: string, visibleLabel: boolean, accessibleName?: string) => {
    const { control } = optionEntry(name);
    const input = makeInput(name, control);
    inputs.set(name, input);
    input.setAttribute('aria-describedby', errorEl.id);
    if (accessibleName) input.setAttribute('aria-label', accessibleName);
    const label = el('label', { htmlFor: input.id, textContent: control.label, className: visibleLabel ? '' : 'visually-hidden' });
    const wrap = el('div', { className: `field ${control.kind}` }, label, input);
    wrap.dataset.option = name;
    if (control.kind === 'color' || control.kind === 'range') {
      const out = el('output');
      out.setAttribute('for', input.id);
      outputs.set(name, out);
      wrap.append(out);
    }
    if (control.kind === 'file') wrap.append(el('small', { className: 'hint', textContent: 'Not remembered between visits.' }));
    return wrap;
  };

  // Background: one choice (None or one of the background options), then the chosen one's control.
  const backgrounds = OPTIONS.filter((o) => isBackground(o.name)).map((o) => o.name);
  const bgSet = el('fieldset', { className: 'group background' }, el('legend', { textContent: 'Background' }));
  const choice = el('div', { className: 'choice' });
  for (const [value, label] of [[NO_BACKGROUND, 'None'], ...backgrounds.map((n) => [n, optionEntry(n).control.label])] as const) {
    const radio = el('input', { type: 'radio', name: 'background', value, id: `bg-${value}` });
    choice.append(el('label', { htmlFor: radio.id }, radio, el('span', { textContent: label })));
  }
  bgSet.append(choice, ...backgrounds.map((n) => field(n, true, `Background ${optionEntry(n).control.label.toLowerCase()}`)));
  body.append(bgSet);

  const grouped = new Set([...backgrounds, ...GROUPS.flatMap(([, names]) => names)]);
  const more = OPTIONS.map((o) => o.name).filter((n) => !grouped.has(n));
  for (const [title, names] of [...GROUPS, ...(more.length ? ([['More', more]] as const) : [])]) {
    const present = names.filter((n) => OPTIONS.some((o) => o.name === n));
    if (!present.length) continue;
    const set = el('fieldset', { className: 'group' }, el('legend', { textContent: title }));
    // A control named like its group keeps its label for assistive technology only.
    set.append(...present.map((n) => field(n, optionEntry(n).control.label !== title)));
    body.append(set);
  }
  const reset = el('button', { type: 'button', className: 'button quiet reset', textContent: 'Reset to defaults' });
  body.append(el('div', { className: 'options-foot' }, reset));

  const radios = () => Array.from(bgSet.querySelectorAll<HTMLInputElement>('input[name=background]'));

  function read(): PanelValues {
    const texts: Record<string, string> = {};
    for (const [name, input] of inputs) if (!(input instanceof HTMLInputElement && input.type === 'file')) texts[name] = input.value;
    const background = radios().find((r) => r.checked)?.value ?? NO_BACKGROUND;
    const fileInput = Array.from(inputs.values()).find((i): i is HTMLInputElement => i instanceof HTMLInputElement && i.type === 'file');
    return { texts, background, file: fileInput?.files?.[0] };
  }

  function fill(texts: Record<string, string>, background: string): void {
    for (const [name, input] of inputs) {
      if (input instanceof HTMLInputElement && input.type === 'file') continue;
      const text = texts[name] ?? initialText(name);
      input.value = text;
      // A remembered word the control no longer offers: back to the default.
      if (input.value !== text) input.value = initialText(name);
    }
    // A background image cannot be remembered: back to no background.
    const bg = backgrounds.includes(background) && optionEntry(background).control.kind !== 'file' ? background : NO_BACKGROUND;
    for (const r of radios()) r.checked = r.value === bg;
  }

  function save(v: PanelValues): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ texts: v.texts, background: v.background, open: root.open }));
    } catch {
      /* storage full or refused: the panel still works for this visit */
    }
  }

  function update(): void {
    const v = read();
    save(v);
    result = toRequest(v);
    for (const name of backgrounds) body.querySelector<HTMLElement>(`[data-option="${name}"]`)!.hidden = v.background !== name;
    for (const [name, out] of outputs) out.value = v.texts[name] ?? '';
    for (const [name, input] of inputs) {
      if (!result.ok && result.code === `invalid_${name}`) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    errorEl.hidden = result.ok;
    errorEl.textContent = result.ok ? '' : result.message;
    placeError();
    summary.textContent = result.ok ? describe(result.request) || 'Transparent PNG, full size' : 'Check the options';
    for (const fn of listeners) fn();
  }

  /** The sentence goes under the control in trouble while the panel is open, else under the panel. */
  function placeError(): void {
    const bad = result.ok ? undefined : inputs.get(result.code.replace(/^invalid_/, ''));
    const host = root.open && bad ? bad.parentElement! : null;
    if (host && errorEl.parentElement !== host) host.append(errorEl);
    else if (!host && errorEl.previousElementSibling !== root) root.after(errorEl);
  }

  let saved: { texts?: Record<string, string>; background?: string; open?: boolean } = {};
  try {
    saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as typeof saved;
  } catch {
    /* unreadable: the defaults */
  }
  fill(saved.texts ?? {}, saved.background ?? NO_BACKGROUND);
  const modelField = body.querySelector<HTMLElement>('[data-option="model"]');
  const modelSet = modelField?.parentElement;
  if (modelSet) modelSet.hidden = true;
  root.open = saved.open ?? false;
  body.addEventListener('input', update);
  body.addEventListener('change', update);
  root.addEventListener('toggle', () => {
    placeError();
    save(read());
  });
  reset.addEventListener('click', () => {
    fill({}, NO_BACKGROUND);
    const file = body.querySelector<HTMLInputElement>('input[type=file]');
    if (file) file.value = '';
    update();
  });
  update();
  // The loaded models (GET /models): a picker only when there is a choice to make.
  fetch('/models')
    .then((r) => (r.ok ? (r.json() as Promise<{ models: { name: string; description: string; loaded: boolean; default: boolean; available?: boolean }[] }>) : null))
    .then((list) => {
      const loaded = list?.models.filter((m) => m.loaded) ?? [];
      const select = inputs.get('model');
      if (loaded.length < 2 || !modelSet || !(select instanceof HTMLSelectElement)) return;
      // A model no live worker serves now is still offered (a worker may be starting, or scaled
      // from zero by the queue), marked: its jobs wait until one serves it.
      const idle = ' (no worker)';
      select.replaceChildren(
        ...loaded.map((m) => el('option', { value: m.default ? '' : m.name, textContent: m.name + (m.available === false ? idle : ''), title: m.description })),
      );
      modelSet.hidden = false;
      select.value = saved.texts?.model ?? '';
      if (select.selectedIndex < 0) select.value = ''; // a remembered model no longer loaded: the default
      update();
    })
    .catch(() => undefined); // no list: the default model, no picker

  return {
    current: () => result,
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    reveal() {
      root.open = true;
      const bad = result.ok ? undefined : Array.from(inputs).find(([name]) => result.ok === false && result.code === `invalid_${name}`)?.[1];
      (bad ?? root.querySelector('summary'))?.focus();
    },
  };
}
