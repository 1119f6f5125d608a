// md5.js: the MD5 of a File, in 4 MB slices, for the upload plan (the
// store's ETag is the MD5 of the content; SubtleCrypto has no MD5).
'use strict';
window.md5File = (function () {
  const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
  const K = new Int32Array(64);
  for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0;
  const M = new Int32Array(16);

  function block(h, b, off) {
    for (let i = 0; i < 16; i++) {
      const j = off + 4 * i;
      M[i] = b[j] | (b[j + 1] << 8) | (b[j + 2] << 16) | (b[j + 3] << 24);
    }
    let a = h[0], bb = h[1], c = h[2], d = h[3];
    for (let i = 0; i < 64; i++) {
      let f, g;
      if (i < 16) { f = (bb & c) | (~bb & d); g = i; }
      else if (i < 32) { f = (d & bb) | (~d & c); g = (5 * i + 1) & 15; }
      else if (i < 48) { f = bb ^ c ^ d; g = (3 * i + 5) & 15; }
      else { f = c ^ (bb | ~d); g = (7 * i) & 15; }
      const t = d; d = c; c = bb;
      const x = (a + f + K[i] + M[g]) | 0;
      bb = (bb + ((x << S[i]) | (x >>> (32 - S[i])))) | 0;
      a = t;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + bb) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
  }

  return async function md5File(file) {
    const h = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
    const slice = 4 << 20;
    let carry = new Uint8Array(0);
    for (let pos = 0; pos < file.size; pos += slice) {
      const chunk = new Uint8Array(await file.slice(pos, pos + slice).arrayBuffer());
      let b = chunk;
      if (carry.length) { b = new Uint8Array(carry.length + chunk.length); b.set(carry); b.set(chunk, carry.length); }
      const whole = b.length - (b.length % 64);
      for (let off = 0; off < whole; off += 64) block(h, b, off);
      carry = b.slice(whole);
    }
    const n = file.size;
    const padLen = carry.length < 56 ? 64 : 128;
    const tail = new Uint8Array(padLen);
    tail.set(carry);
    tail[carry.length] = 0x80;
    const lo = (n % 0x20000000) * 8, hi = Math.floor(n / 0x20000000);
    for (let i = 0; i < 4; i++) { tail[padLen - 8 + i] = (lo >>> (8 * i)) & 255; tail[padLen - 4 + i] = (hi >>> (8 * i)) & 255; }
    for (let off = 0; off < padLen; off += 64) block(h, tail, off);
    let hex = '';
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) hex += ((h[i] >>> (8 * j)) & 255).toString(16).padStart(2, '0');
    return hex;
  };
})();
