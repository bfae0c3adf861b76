/**
 * PEM decoding, two ways over one scan:
 * - `scanPem`: strict, every problem named by block number (1-based) and line, for our own checks;
 * - `linkerdDecodeCertificates`: what Linkerd's `tls.DecodePEMCertificates` accepts (Go's pem.Decode in a
 *   loop: junk before a block is skipped, a non-CERTIFICATE block ends parsing silently, and ANY bytes after
 *   the last block, even one newline, fail with `not a PEM certificate`), so verdicts agree with Linkerd's.
 * The content of a block is never echoed: it may be a private key.
 */

export interface PemBlock {
  /** 1-based position among the blocks of the text */
  index: number;
  type: string;
  der: Uint8Array;
  /** 1-based line of the BEGIN and END markers */
  beginLine: number;
  endLine: number;
  /** byte offsets of the block's first byte and of the byte after its END line (including the newline) */
  start: number;
  end: number;
}

export interface PemProblem {
  /** block number the problem belongs to (0: outside any block) */
  block: number;
  line: number;
  message: string;
}

export interface PemScan {
  blocks: PemBlock[];
  /** malformed blocks and stray text; empty when the text is strictly PEM */
  problems: PemProblem[];
}

const BEGIN = /^-----BEGIN ([^-]*)-----[ \t\r]*$/;
const END = /^-----END ([^-]*)-----[ \t\r]*$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER = /^[A-Za-z0-9-]+:/;

/**
 * Whether `text` holds a private key block (`PRIVATE KEY`, `EC PRIVATE KEY`, `RSA PRIVATE KEY`,
 * `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`...), well-formed or not: any such BEGIN line
 * counts, since a broken key is still a leaked key. Says nothing about the key's bytes.
 */
export function hasPrivateKeyBlock(text: string): boolean {
  for (const line of text.split('\n')) {
    const m = BEGIN.exec(line.trimStart());
    if (m && /PRIVATE KEY/.test(m[1] ?? '')) return true;
  }
  return false;
}

export function scanPem(text: string): PemScan {
  const blocks: PemBlock[] = [];
  const problems: PemProblem[] = [];
  let offset = 0;
  let lineNo = 0;
  let open: { type: string; beginLine: number; start: number; b64: string[]; bad?: PemProblem; headers: boolean } | undefined;
  let strayReported = false;
  let blockCount = 0;
  while (offset < text.length) {
    const nl = text.indexOf('\n', offset);
    const next = nl === -1 ? text.length : nl + 1;
    const raw = text.slice(offset, nl === -1 ? text.length : nl);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    lineNo++;
    if (!open) {
      const m = BEGIN.exec(line);
      if (m) {
        blockCount++;
        open = { type: m[1] ?? '', beginLine: lineNo, start: offset, b64: [], headers: false };
        strayReported = false;
      } else if (!strayReported) {
        const where = blockCount === 0 ? 'before block 1' : `after block ${blockCount}`;
        const what = line.trim() === '' ? 'blank line' : 'text that is not PEM';
        problems.push({ block: 0, line: lineNo, message: `line ${lineNo}: ${what} ${where}` });
        strayReported = true;
      }
    } else {
      const e = END.exec(line);
      if (e) {
        const cur = open;
        open = undefined;
        if (e[1] !== cur.type) {
          problems.push({ block: blockCount, line: lineNo, message: `block ${blockCount} (line ${cur.beginLine}): BEGIN ${cur.type} ends with END ${e[1] ?? ''} at line ${lineNo}` });
          continue;
        }
        if (cur.bad) {
          problems.push(cur.bad);
        } else {
          const b64 = cur.b64.join('');
          const der = new Uint8Array(Buffer.from(b64, 'base64'));
          if (der.length === 0 || b64.length % 4 !== 0) {
            problems.push({ block: blockCount, line: lineNo, message: `block ${blockCount} (line ${cur.beginLine}): ${der.length === 0 ? 'empty' : 'truncated base64'} ${cur.type} block` });
          } else {
            blocks.push({ index: blockCount, type: cur.type, der, beginLine: cur.beginLine, endLine: lineNo, start: cur.start, end: next });
          }
        }
      } else if (!open.bad) {
        const stripped = line.replace(/[ \t]+$/, '');
        if (open.b64.length === 0 && HEADER.test(stripped)) {
          open.headers = true; // RFC 1421 headers (Proc-Type, DEK-Info): legal PEM, carry no data
        } else if (open.headers && stripped === '' && open.b64.length === 0) {
          // the blank line that ends the headers
        } else if (!BASE64_LINE.test(stripped) || (open.b64.length > 0 && /=/.test(open.b64[open.b64.length - 1] ?? ''))) {
          const col = firstBadColumn(stripped);
          open.bad = { block: blockCount, line: lineNo, message: `block ${blockCount} (line ${open.beginLine}): invalid base64 at line ${lineNo}, column ${col}` };
        } else {
          open.b64.push(stripped);
        }
      }
    }
    offset = next;
  }
  if (open) problems.push({ block: blockCount, line: open.beginLine, message: `block ${blockCount} (line ${open.beginLine}): BEGIN ${open.type} has no END line` });
  return { blocks, problems };
}

function firstBadColumn(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (!/[A-Za-z0-9+/=]/.test(ch)) return i + 1;
    if (ch === '=' && !/^=*$/.test(line.slice(i))) return i + 1;
  }
  return line.length + 1;
}

export interface LinkerdCertDecode {
  /** DER of the CERTIFICATE blocks Linkerd would use, in order */
  certs: PemBlock[];
  /** Linkerd's error text, when it would fail */
  error?: string;
}

/**
 * Linkerd's `DecodePEMCertificates`: blocks in order while they are CERTIFICATE; a non-certificate block
 * ends parsing; anything left after the last block (text, a blank line) or a malformed block is
 * `not a PEM certificate`. Empty text is zero certificates and no error, as in Go.
 */
export function linkerdDecodeCertificates(text: string, scan: PemScan = scanPem(text)): LinkerdCertDecode {
  const certs: PemBlock[] = [];
  const malformed = scan.problems.filter((p) => p.block > 0).map((p) => p.block);
  const firstMalformed = malformed.length ? Math.min(...malformed) : Infinity;
  for (const b of scan.blocks) {
    if (b.index > firstMalformed) break;
    if (b.type !== 'CERTIFICATE') return { certs }; // Go: a non-certificate block ends parsing, no error
    certs.push(b);
  }
  if (firstMalformed !== Infinity) return { certs, error: 'not a PEM certificate' };
  // Go loops while bytes remain: leftover bytes holding no further block fail the decode.
  const consumed = certs[certs.length - 1]?.end ?? 0;
  if (consumed < text.length) return { certs, error: 'not a PEM certificate' };
  return { certs };
}

/** One line naming where strict PEM decoding failed, or undefined when `text` is clean PEM. */
export function describePemProblems(scan: PemScan): string | undefined {
  if (scan.problems.length === 0) return undefined;
  const first = scan.problems[0]!;
  const more = scan.problems.length > 1 ? ` (and ${scan.problems.length - 1} more problem${scan.problems.length > 2 ? 's' : ''})` : '';
  return first.message + more;
}
