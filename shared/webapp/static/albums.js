'use strict';
(function () {
  const { api, show } = window.divinepic;
  const form = document.getElementById('new-album');
  const err = document.getElementById('new-album-error');
  const title = document.getElementById('album-title');
  const id = document.getElementById('album-id');
  let edited = false;
  id.addEventListener('input', () => { edited = true; });
  title.addEventListener('input', () => {
    if (!edited) id.value = title.value.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    show(err, '');
    try {
      const al = await api('POST', '/api/albums', { id: id.value.trim(), title: title.value.trim() });
      location.href = '/albums/' + encodeURIComponent(al.id);
    } catch (x) { show(err, x.message); }
  });
})();
