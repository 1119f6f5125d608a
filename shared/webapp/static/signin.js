'use strict';
(function () {
  const { api, show } = window.divinepic;
  const form = document.getElementById('signin');
  const err = document.getElementById('signin-error');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    show(err, '');
    try {
      await api('POST', '/api/session', { token: document.getElementById('token').value.trim() });
      location.reload();
    } catch (x) { show(err, x.message); }
  });
})();
