// SPDX-License-Identifier: Apache-2.0
/**
 * A growing byte buffer for the JSON writers (canonical bytes, metadata
 * files): text is written as UTF-8 straight into it, ASCII byte by byte,
 * so writing a file makes no intermediate strings or arrays of them. One
 * buffer is kept between calls and reused; {@link withSink} hands out a
 * fresh one to a nested call. Pure.
 */

export class ByteSink {
  buf: Buffer;
  len = 0;
  constructor(size = 1 << 16) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** Writes a string known to be ASCII (structure, digits, indentation). */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.len = p;
  }

  /** Writes a well-formed string as UTF-8. */
  utf8(s: string): void {
    this.reserve(s.length * 3);
    this.len += this.buf.write(s, this.len);
  }

  /** A newline and `n` spaces. */
  newline(n: number): void {
    this.reserve(n + 1);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = 10;
    for (let i = 0; i < n; i++) buf[p++] = 32;
    this.len = p;
  }

  /** A copy of the bytes written. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.len);
    this.buf.copy(out, 0, 0, this.len);
    return out;
  }
}

let shared: ByteSink | undefined;

/** Runs `f` with an empty sink: the shared one, or a fresh one when it is in use. */
export function withSink<T>(f: (sink: ByteSink) => T): T {
  const mine = shared ?? new ByteSink();
  shared = undefined;
  mine.len = 0;
  try {
    return f(mine);
  } finally {
    // Keep a modest buffer between calls; drop one grown by a huge file.
    if (mine.buf.length <= 1 << 26) shared = mine;
  }
}
