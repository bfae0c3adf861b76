import t from 'tap';
import { checkReview } from '../../webhook/review.js';
import { reviewOf, seedObject } from './helpers.js';

const issuer = seedObject('001-cert-manager-trust-manager.yaml', 'Certificate', 'linkerd-identity-issuer');

t.test('a review as the API server sends it is accepted, typed', async (t) => {
  const r = checkReview(JSON.parse(JSON.stringify(reviewOf(issuer))));
  t.equal(r.ok, true);
  if (r.ok) {
    t.equal(r.review.request.operation, 'CREATE');
    t.equal(r.review.request.kind.kind, 'Certificate');
  }
  const del = checkReview(JSON.parse(JSON.stringify(reviewOf(null, { operation: 'DELETE', oldObject: issuer }))));
  t.equal(del.ok, true, 'object: null on DELETE');
  const beta = { ...reviewOf(issuer), apiVersion: 'admission.k8s.io/v1beta1' };
  t.equal(checkReview(beta).ok, true, 'v1beta1 envelopes are the same shape');
  const extra = { ...reviewOf(issuer), request: { ...reviewOf(issuer).request, requestKind: { group: 'cert-manager.io', version: 'v1', kind: 'Certificate' }, options: { kind: 'CreateOptions' } } };
  t.equal(checkReview(extra).ok, true, 'fields the schema does not know are left alone');
});

t.test('what is not an AdmissionReview is rejected in one line naming why', async (t) => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /^body is not an AdmissionReview: expected a JSON object$/],
    [[1, 2], /expected a JSON object/],
    ['AdmissionReview', /expected a JSON object/],
    [{ apiVersion: 'v1', kind: 'ConfigMap', data: {} }, /^body is not an AdmissionReview: expected apiVersion admission\.k8s\.io\/v1 and kind AdmissionReview$/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /^invalid AdmissionReview: request: required$/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: null }, /^invalid AdmissionReview: request: required$/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { group: '', version: 'v1', kind: 'X' }, operation: 'CREATE' } }, /^invalid AdmissionReview: request\.uid: required$/],
    [{ ...reviewOf(issuer), request: { ...reviewOf(issuer).request, operation: 'PATCH' } }, /^invalid AdmissionReview: request\.operation: must be one of CREATE, UPDATE, DELETE, CONNECT$/],
    [{ ...reviewOf(issuer), request: { ...reviewOf(issuer).request, object: 'a string' } }, /^invalid AdmissionReview: request\.object: must be object$/],
    [{ ...reviewOf(issuer), request: { ...reviewOf(issuer).request, uid: 7 } }, /^invalid AdmissionReview: request\.uid: must be string$/],
  ];
  for (const [body, expected] of cases) {
    const r = checkReview(body);
    t.equal(r.ok, false, JSON.stringify(body)?.slice(0, 60) ?? 'undefined');
    if (!r.ok) {
      t.match(r.error.message, expected);
      t.notMatch(r.error.message, /\n/);
      t.match(r.error.code, /^LCG_(NOT_A_REVIEW|REVIEW_INVALID)$/);
      t.equal(r.error.statusCode, 400);
    }
  }
});

t.test('errors never echo the object', async (t) => {
  const secretish = { ...reviewOf(issuer), request: { ...reviewOf(issuer).request, uid: '', object: { data: { 'tls.key': 'LS0tLS1CRUdJTi' } } } };
  const r = checkReview(secretish);
  t.equal(r.ok, false);
  if (!r.ok) t.notMatch(r.error.message, /LS0t/);
});
