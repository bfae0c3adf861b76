/**
 * The one registry of output formats. Each format is listed once, with the commands that offer it;
 * each command supplies one renderer per format it offers (the type makes a missing one a compile
 * error), and its `-o` option, default and dispatch all come from here.
 */
import { Option } from 'commander';
import type { Palette } from './color.js';

export const OUTPUT_FORMATS = {
  text: { commands: ['lint'], description: 'findings by file, for people' },
  table: { commands: ['check'], description: "`linkerd check`'s table, for people" },
  short: { commands: ['check'], description: 'the table, only what did not pass' },
  json: { commands: ['lint', 'check'], description: 'one JSON document (check: the `linkerd check -o json` document)' },
  junit: { commands: ['lint', 'check'], description: 'JUnit XML for CI test reporters' },
  sarif: { commands: ['lint', 'check'], description: 'SARIF 2.1.0 for code scanning' },
} as const;

export type FormatName = keyof typeof OUTPUT_FORMATS;
export type ReportingCommand = (typeof OUTPUT_FORMATS)[FormatName]['commands'][number];
/** The formats one command offers. */
export type FormatOf<C extends ReportingCommand> = {
  [F in FormatName]: C extends (typeof OUTPUT_FORMATS)[F]['commands'][number] ? F : never;
}[FormatName];

/** What every renderer may use besides the report. */
export interface RenderContext {
  /** colours for the stream the report goes to (identity when it is not a TTY) */
  palette: Palette;
  /** our version, for SARIF's tool driver */
  version: string;
}

export type Renderer<R> = (report: R, ctx: RenderContext) => string;
/** A command's renderers: exactly one per format it offers. */
export type Renderers<C extends ReportingCommand, R> = { readonly [F in FormatOf<C>]: Renderer<R> };

export function formatsOf<C extends ReportingCommand>(command: C): Array<FormatOf<C>> {
  return (Object.keys(OUTPUT_FORMATS) as FormatName[]).filter((f) => (OUTPUT_FORMATS[f].commands as readonly string[]).includes(command)) as Array<FormatOf<C>>;
}

/** `-o, --output <format>` with the command's formats as its choices. */
export function outputOption<C extends ReportingCommand>(command: C, defaultFormat: FormatOf<C>): Option {
  const formats = formatsOf(command);
  const help = formats.map((f) => `${f}: ${OUTPUT_FORMATS[f].description}`).join('; ');
  return new Option('-o, --output <format>', `report format (${help})`).choices(formats).default(defaultFormat);
}

export function render<C extends ReportingCommand, R>(renderers: Renderers<C, R>, format: FormatOf<C>, report: R, ctx: RenderContext): string {
  return (renderers as Record<string, Renderer<R>>)[format]!(report, ctx);
}
