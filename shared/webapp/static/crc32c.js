// crc32c.js: the CRC32C (Castagnoli) of a File, in 4 MB slices, for the
// upload plan: a new photo is sent checked by it, and the plan asks for
// the slower MD5 (md5.js) only of a photo whose name and size are already
// in the album. Eight bytes a step, with eight tables ("slicing by 8").
'use strict';
window.crc32cFile = (function () {
  const T = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    T[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) T[k * 256 + n] = (T[(k - 1) * 256 + n] >>> 8) ^ T[T[(k - 1) * 256 + n] & 0xff];
  }
  function update(c, b) {
    let i = 0;
    for (const end = b.length - 7; i < end; i += 8) {
      c ^= b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
      const hi = b[i + 4] | (b[i + 5] << 8) | (b[i + 6] << 16) | (b[i + 7] << 24);
      c = T[1792 + (c & 0xff)] ^ T[1536 + ((c >>> 8) & 0xff)] ^ T[1280 + ((c >>> 16) & 0xff)] ^ T[1024 + (c >>> 24)] ^
        T[768 + (hi & 0xff)] ^ T[512 + ((hi >>> 8) & 0xff)] ^ T[256 + ((hi >>> 16) & 0xff)] ^ T[hi >>> 24];
    }
    for (; i < b.length; i++) c = T[(c ^ b[i]) & 0xff] ^ (c >>> 8);
    return c;
  }
  return async function crc32cFile(file) {
    let c = -1;
    const slice = 4 << 20;
    for (let pos = 0; pos < file.size; pos += slice) {
      c = update(c, new Uint8Array(await file.slice(pos, pos + slice).arrayBuffer()));
    }
    return ((c ^ -1) >>> 0).toString(16).padStart(8, '0');
  };
})();
