import t from 'tap';
import * as asn1js from 'asn1js';
import { DerError, TAG, bitStringOf, booleanOf, childrenOf, integerOf, oidOf, parseDer, stringOf, timeOf, unsignedBytesOf } from '../../../checks/x509/der.js';

// asn1js (the project's ASN.1 library) encodes; the reader must decode the same values back.
const enc = (v: asn1js.AsnType) => new Uint8Array(v.toBER(false));

t.test('decodes what asn1js encodes', async (t) => {
  const seq = parseDer(enc(new asn1js.Sequence({ value: [
    new asn1js.Integer({ value: -129 }),
    asn1js.Integer.fromBigInt(12345678901234567890123n),
    new asn1js.ObjectIdentifier({ value: '1.2.840.10045.3.1.7' }),
    new asn1js.ObjectIdentifier({ value: '2.5.29.37.0' }),
    new asn1js.Boolean({ value: true }),
    new asn1js.Utf8String({ value: 'root.linkerd.cluster.local ✓' }),
    new asn1js.PrintableString({ value: 'Org' }),
    new asn1js.BmpString({ value: 'bmp' }),
    new asn1js.UTCTime({ valueDate: new Date('1990-01-01T01:01:11Z') }),
    new asn1js.GeneralizedTime({ valueDate: new Date('2100-01-01T01:00:51Z') }),
    new asn1js.BitString({ valueHex: new Uint8Array([0x06]).buffer, unusedBits: 1 }),
    new asn1js.OctetString({ valueHex: new Uint8Array(300).fill(7).buffer }),
  ] })));
  t.equal(seq.tag, TAG.SEQUENCE);
  const c = childrenOf(seq);
  t.equal(integerOf(c[0]), -129n);
  t.equal(integerOf(c[1]), 12345678901234567890123n);
  t.same([...unsignedBytesOf(c[1])].length, 10);
  t.equal(oidOf(c[2]), '1.2.840.10045.3.1.7');
  t.equal(oidOf(c[3]), '2.5.29.37.0');
  t.equal(booleanOf(c[4]), true);
  t.equal(stringOf(c[5]!), 'root.linkerd.cluster.local ✓');
  t.equal(stringOf(c[6]!), 'Org');
  t.equal(stringOf(c[7]!), 'bmp');
  t.equal(timeOf(c[8]).toISOString(), '1990-01-01T01:01:11.000Z');
  t.equal(timeOf(c[9]).toISOString(), '2100-01-01T01:00:51.000Z');
  t.same([...bitStringOf(c[10])], [0x06]);
  t.equal(c[11]!.value.length, 300, 'long-form length');
});

t.test('rejects what is not DER', async (t) => {
  t.throws(() => parseDer(new Uint8Array([0x30, 0x05, 0x02, 0x01])), { message: 'truncated: content runs past the end' });
  try {
    parseDer(new Uint8Array([0x30]));
    t.fail('no error');
  } catch (e) {
    t.ok(e instanceof DerError, 'DerError');
  }
  t.throws(() => parseDer(new Uint8Array([0x30, 0x80, 0x00, 0x00])), { message: 'indefinite length is not DER' });
  t.throws(() => parseDer(new Uint8Array([0x02, 0x01, 0x01, 0x00])), { message: 'trailing bytes after the DER value' });
  t.throws(() => childrenOf(parseDer(new Uint8Array([0x02, 0x01, 0x01]))), { message: /is not constructed/ });
  t.throws(() => oidOf(parseDer(new Uint8Array([0x02, 0x01, 0x01]))), { message: /expected tag 0x6, found 0x2/ });
  t.throws(() => timeOf(parseDer(enc(new asn1js.VisibleString({ value: 'x' })))), { message: 'time: expected UTCTime or GeneralizedTime' });
  t.throws(() => parseDer(new Uint8Array([0x1f, 0x01, 0x00])), { message: /high tag/ });
});
