import t from 'tap';
import { toJUnit, xmlEscape } from '../../../checks/report/junit.js';

t.test('xmlEscape escapes markup and drops characters XML 1.0 cannot carry', async (t) => {
  t.equal(xmlEscape(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;');
  t.equal(xmlEscape('x\u0000y\u0007z\u001f'), 'xyz');
  t.equal(xmlEscape('tab\tnl\ncr\r'), 'tab\tnl\ncr\r', 'tab, newline and carriage return are allowed');
});

t.test('counts, failures, warnings and skips', async (t) => {
  const xml = toJUnit('suite "all"', [
    {
      name: 'f.yaml',
      cases: [
        { name: 'ok', classname: 'lint.identity-issuer' },
        { name: 'bad', classname: 'lint.identity-issuer', failure: { message: 'certificate/is-ca spec.isCA', type: 'certificate/is-ca', body: 'set <true>' } },
        { name: 'soft', classname: 'lint.trust-bundle', warning: 'bundle/rotation-overlap' },
      ],
    },
    { name: 'g.yaml', cases: [{ name: 'skip', classname: 'c', skipped: 'not judged' }] },
  ]);
  t.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
  t.match(xml, /<testsuites name="suite &quot;all&quot;" tests="4" failures="1" errors="0" skipped="1">/);
  t.match(xml, /<testsuite name="f\.yaml" tests="3" failures="1" errors="0" skipped="0">/);
  t.match(xml, /<testcase name="ok" classname="lint\.identity-issuer"\/>/);
  t.match(xml, /<failure message="certificate\/is-ca spec\.isCA" type="certificate\/is-ca">set &lt;true&gt;<\/failure>/);
  t.match(xml, /<system-out>warning: bundle\/rotation-overlap<\/system-out>/, 'a warning passes, with its text as system-out');
  t.match(xml, /<skipped message="not judged"\/>/);
  t.ok(xml.endsWith('</testsuites>\n'));
});

t.test('a failure without a body repeats its message', async (t) => {
  const xml = toJUnit('s', [{ name: 'x', cases: [{ name: 'c', classname: 'k', failure: { message: 'm', type: 't' } }] }]);
  t.match(xml, /<failure message="m" type="t">m<\/failure>/);
});
