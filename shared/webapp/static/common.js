// common.js: the pages' one helper for the JSON API. Errors come back as
// {"error": {"code", "message"}}; api() throws an Error carrying both.
'use strict';
window.divinepic = (function () {
  const csrf = document.body.dataset.csrf || '';
  async function api(method, url, body) {
    const opts = { method, headers: { 'X-CSRF-Token': csrf }, credentials: 'same-origin' };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(url, opts);
    return decode(res);
  }
  async function decode(res) {
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || ('request failed (' + res.status + ')'));
      err.code = data && data.error && data.error.code;
      err.status = res.status;
      throw err;
    }
    return data;
  }
  function show(el, text) { el.textContent = text; el.hidden = !text; }
  const out = document.getElementById('signout');
  if (out) out.addEventListener('click', async () => { await api('DELETE', '/api/session'); location.href = '/'; });
  return { api, decode, show, csrf };
})();
