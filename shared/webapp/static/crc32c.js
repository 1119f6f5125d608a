// crc32c.js: the CRC32C (Castagnoli) of a File, in 4 MB slices, for the
// upload plan: a new photo is sent checked by it, and the plan asks for
// the far slower MD5 (md5.js) only of a photo whose name and size are
// already in the album.
'use strict';
window.crc32cFile = (function () {
  const T = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    T[n] = c;
  }
  function update(c, b) {
    for (let i = 0; i < b.length; i++) c = T[(c ^ b[i]) & 0xff] ^ (c >>> 8);
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
