/**
 * The one registry of output formats. Each format is listed once, with the commands that offer it;
 * each command supplies one renderer per format it offers (the type makes a missing one a compile
 * error), and its `-o` option, default and dispatch all come from here.
 */
import { Option } from 'commander';
import type { Palette } from './color.js';

export const OUTPUT_FORMATS = {
  /** findings by file, for people */
  text: { commands: ['lint'] },
  /** `linkerd check`'s table */
  table: { commands: ['check'] },
  /** the table, only what did not pass */
  short: { commands: ['check'] },
  /** one JSON document (check: the `linkerd check -o json` document plus `id`) */
  json: { commands: ['lint', 'check'] },
  /** JUnit XML for CI test reporters */
  junit: { commands: ['lint', 'check'] },
  /** SARIF 2.1.0 for code scanning */
  sarif: { commands: ['lint', 'check'] },
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
  return new Option('-o, --output <format>', 'report format').choices(formatsOf(command)).default(defaultFormat);
}

export function render<C extends ReportingCommand, R>(renderers: Renderers<C, R>, format: FormatOf<C>, report: R, ctx: RenderContext): string {
  return (renderers as Record<string, Renderer<R>>)[format]!(report, ctx);
}
