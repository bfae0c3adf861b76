import t from 'tap';
import { ERRORS, GuardError, errorBody, guardError, isGuardError, USAGE_EXIT_CODE } from '../../checks/errors.js';
import { runInProcess } from '../helpers/cli.js';

t.test('guardError makes the message from the code\'s template and carries its status', async (t) => {
  const e = guardError('LCG_FLAG_INVALID', '--now', 'an RFC 3339 time', 'tomorrow', '2026-01-01T00:00:00Z');
  t.ok(isGuardError(e));
  t.ok(e instanceof GuardError && e instanceof Error);
  t.equal(e.code, 'LCG_FLAG_INVALID');
  t.equal(e.message, '--now: not an RFC 3339 time: "tomorrow" (e.g. 2026-01-01T00:00:00Z)');
  t.equal(e.statusCode, 400);
  t.equal(guardError('LCG_BODY_TOO_LARGE', 1024).statusCode, 413);
  t.equal(guardError('LCG_BODY_ENCODING', 'gzip').statusCode, 415);
  t.equal(guardError('LCG_CLUSTER_UNREACHABLE', 'Secret x', 'https://k', 'HTTP 500').message, 'cannot read Secret x from https://k: HTTP 500');
  t.notOk(isGuardError(new Error('x')));
});

t.test('values quoted into a message are clipped, so a huge flag value cannot make a huge line', async (t) => {
  const e = guardError('LCG_FLAG_INVALID', '--api-addr', 'a host:port', 'x'.repeat(10_000));
  t.ok(e.message.length < 200, `${e.message.length} characters`);
});

t.test('every entry is documented and answers with a 4xx or 5xx', async (t) => {
  for (const [code, e] of Object.entries(ERRORS)) {
    t.match(code, /^LCG_[A-Z_]+$/);
    t.ok(e.summary.length > 10, `${code} has a summary`);
    t.ok(e.status >= 400 && e.status < 600, `${code}: ${e.status}`);
  }
});

t.test('the webhook body has fastify\'s shape', async (t) => {
  t.same(errorBody(guardError('LCG_BODY_MALFORMED')), { statusCode: 400, code: 'LCG_BODY_MALFORMED', error: 'Bad Request', message: 'malformed JSON: the body is not a JSON document' });
  t.same(errorBody(guardError('LCG_NOT_FOUND')).error, 'Not Found');
  t.same(errorBody(guardError('LCG_INTERNAL')).message, 'internal error');
});

t.test('the CLI prints a GuardError as one line and exits with the usage exit code', async (t) => {
  const r = await runInProcess(['lint', '--write', 'x.yaml']);
  t.equal(r.code, USAGE_EXIT_CODE);
  t.equal(r.stderr, 'linkerd-cert-guard: --write needs --fix\n');
});
