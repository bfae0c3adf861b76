/** Colours only on a TTY and never with NO_COLOR (https://no-color.org). */
export interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (open: string, close: string) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Palette {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  if (!on) {
    const id = (s: string) => s;
    return { red: id, green: id, yellow: id, bold: id, dim: id };
  }
  return {
    red: wrap('31', '39'),
    green: wrap('32', '39'),
    yellow: wrap('33', '39'),
    bold: wrap('1', '22'),
    dim: wrap('2', '22'),
  };
}
