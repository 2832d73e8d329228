// Import-free (the page bundles it too). Names in a batch: each item's file name made unique (a ZIP may hold `a/photo.jpg` and
// `b/photo.jpg`), and text put safely into the manifest (CSV, opened in spreadsheets).

/** The same names, each made unique case-insensitively: `photo.jpg`, `photo-2.jpg`, `photo-3.jpg`. */
export function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    let candidate = name;
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}${ext}`;
    taken.add(candidate.toLowerCase());
    return candidate;
  });
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. Text that a
 * spreadsheet would run as a formula (a leading = + - @, tab or carriage return) gets a leading `'`.
 */
export function csvField(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvRow = (fields: (string | number | undefined | null)[]): string => `${fields.map(csvField).join(',')}\r\n`;
