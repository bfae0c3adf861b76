import t from 'tap';
import { paletteFor } from '../../../checks/report/color.js';

t.test('colours only on a TTY', async (t) => {
  t.equal(paletteFor({ isTTY: true }, {}).red('x'), '\u001b[31mx\u001b[39m');
  t.equal(paletteFor({ isTTY: true }, {}).bold('x'), '\u001b[1mx\u001b[22m');
  t.equal(paletteFor({ isTTY: false }, {}).red('x'), 'x');
  t.equal(paletteFor({}, {}).green('x'), 'x', 'a stream that does not say it is a TTY gets none');
});

t.test('NO_COLOR (any value) and TERM=dumb turn colours off on a TTY', async (t) => {
  t.equal(paletteFor({ isTTY: true }, { NO_COLOR: '' }).yellow('x'), 'x');
  t.equal(paletteFor({ isTTY: true }, { NO_COLOR: '1' }).dim('x'), 'x');
  t.equal(paletteFor({ isTTY: true }, { TERM: 'dumb' }).red('x'), 'x');
  t.equal(paletteFor({ isTTY: true }, { TERM: 'xterm-256color' }).red('x'), '\u001b[31mx\u001b[39m');
});
