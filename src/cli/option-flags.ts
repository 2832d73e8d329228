// The per-job options as CLI flags, made from the options table (each entry's `flag`): the
// parseArgs options, the help text, and the flags' values as the `given` that parseOptions checks.
import { OPTIONS, optionEntry, type OptionEntry } from '../options/options.js';

type Entry = OptionEntry<string | number | boolean | null>;
const ENTRIES = OPTIONS as readonly unknown[] as readonly Entry[];

/** The parseArgs options of the per-job options: every one takes a value (`--crop` alone: see withDefaultValues). */
export const OPTION_FLAGS: Record<string, { type: 'string' }> = Object.fromEntries(ENTRIES.map((e) => [e.flag, { type: 'string' as const }]));

/** A yes/no option (`crop`): its flag alone means true. */
const isSwitch = (e: Entry) => typeof e.default === 'boolean';

const accepts = (e: Entry, text: string): boolean => {
  try {
    e.parse(text);
    return true;
  } catch {
    return false;
  }
};

/**
 * `--crop` alone means `--crop=true`; `--crop face` keeps its value. A switch's next word is its
 * value only when the option accepts it, so `--crop shoe.jpg` is a crop of shoe.jpg.
 */
export function withDefaultValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const e = ENTRIES.find((x) => `--${x.flag}` === arg);
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!e || !isSwitch(e)) {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-') && accepts(e, next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(`${arg}=true`);
    }
  }
  return out;
}

/** The flags given, as option name → text (for parseOptions); file options are left to the caller. */
export function givenOptions(values: Record<string, unknown>): { given: Record<string, string>; files: Record<string, string> } {
  const given: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const e of ENTRIES) {
    const v = values[e.flag];
    if (typeof v !== 'string') continue;
    if (e.file) files[e.name] = v;
    else given[e.name] = v;
  }
  return { given, files };
}

/** The option a flag belongs to, by its name. */
export const flagOf = (name: string): string => optionEntry(name).flag;

const plain = (markdown: string) => markdown.replace(/`/g, '');

/** Words wrapped to `width` columns, the lines after the first indented by `indent`. */
export function wrap(text: string, indent: number, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The help's lines for the options: the flag, its values or an example, and the first sentence of its description. */
export function optionsUsage(): string {
  const column = 30;
  return ENTRIES.map((e) => {
    const arg = e.file ? '<file>' : e.values ? (isSwitch(e) ? `[${e.values.filter((v) => v !== 'false').join('|')}]` : e.values.join('|')) : `<${e.example}>`;
    const head = `  --${e.flag} ${arg}`;
    const text = plain(e.description);
    const first = text.split(/(?<=\.)\s/)[0]!;
    const values = e.values ?? [];
    // A choice described value by value ("soft: …; none: …"): each value's clause, without its asides.
    const says = values.some((v) => first.startsWith(`${v}:`))
      ? text
          .split(/;\s|\.\s|\.$/)
          .map((clause) => clause.split(' (')[0]!.trim())
          .filter((clause) => values.some((v) => clause.startsWith(`${v}:`)))
          .join('; ') + (isSwitch(e) ? `; --${e.flag} alone: true` : '')
      : first;
    return head.length < column ? `${head.padEnd(column)}${wrap(says, column)}` : `${head}\n${' '.repeat(column)}${wrap(says, column)}`;
  }).join('\n');
}
