// SPDX-License-Identifier: Apache-2.0
/**
 * Minimal DER for what signing needs: ECDSA signatures (raw r‖s ⇄ DER,
 * low-S normalisation) and the PKCS#8 encryption envelope.
 */

/** Order of the P-256 group. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes one DER element. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, Buffer.concat(items));
export const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
export const oid = (hex: string): Buffer => tlv(0x06, Buffer.from(hex, 'hex'));
export const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);

function bigToBytes(v: bigint): Buffer {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}

/** A DER INTEGER for a non-negative value. */
export function integer(v: bigint | number): Buffer {
  let b = bigToBytes(BigInt(v));
  if (b.length === 0) b = Buffer.from([0]);
  if ((b[0] as number) & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return tlv(0x02, b);
}

function readInt(der: Buffer, at: number): [bigint, number] {
  if (der[at] !== 0x02) throw new RangeError('expected an INTEGER');
  const l = der[at + 1] as number;
  if (l & 0x80) throw new RangeError('integer too long');
  const bytes = der.subarray(at + 2, at + 2 + l);
  return [BigInt('0x' + (bytes.toString('hex') || '0')), at + 2 + l];
}

/** Splits a DER ECDSA signature into r and s. @throws RangeError */
export function parseEcdsaDer(der: Buffer): { r: bigint; s: bigint } {
  if (der[0] !== 0x30) throw new RangeError('not a DER SEQUENCE');
  let at = 2;
  if ((der[1] as number) & 0x80) at = 2 + ((der[1] as number) & 0x7f);
  const [r, next] = readInt(der, at);
  const [s] = readInt(der, next);
  return { r, s };
}

/** DER `SEQUENCE { r, s }` with s normalised to the lower half (P-256). */
export function ecdsaDerLowS(r: bigint, s: bigint): Buffer {
  const low = s > P256_N / 2n ? P256_N - s : s;
  return seq(integer(r), integer(low));
}

/** Raw r‖s (PKCS#11 CKM_ECDSA, 64 bytes for P-256) → DER with low S. */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  if (raw.length !== 64) throw new RangeError(`expected a 64-byte P-256 signature, got ${String(raw.length)} bytes`);
  const b = Buffer.from(raw);
  return ecdsaDerLowS(BigInt('0x' + b.subarray(0, 32).toString('hex')), BigInt('0x' + b.subarray(32).toString('hex')));
}

/** Normalises a DER P-256 signature to low S. */
export function ecdsaDerToLowS(der: Buffer): Buffer {
  const { r, s } = parseEcdsaDer(der);
  return ecdsaDerLowS(r, s);
}

/** One DER element: its tag and where its content lies in the buffer. */
export interface DerElement {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

/** Reads the element at `at`. @throws RangeError when truncated or malformed */
export function readElement(der: Uint8Array, at: number): DerElement {
  const tag = der[at];
  const first = der[at + 1];
  if (tag === undefined || first === undefined) throw new RangeError('truncated DER');
  let length = first;
  let start = at + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new RangeError('unsupported DER length');
    length = 0;
    for (let i = 0; i < n; i++) {
      const b = der[start + i];
      if (b === undefined) throw new RangeError('truncated DER');
      length = length * 256 + b;
    }
    start += n;
  }
  const end = start + length;
  if (end > der.length) throw new RangeError('truncated DER');
  return { tag, start, end };
}

/** The elements inside a constructed element. @throws RangeError */
export function childrenOf(der: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const e = readElement(der, at);
    if (e.end > parent.end) throw new RangeError('DER element overruns its parent');
    out.push(e);
    at = e.end;
  }
  return out;
}
