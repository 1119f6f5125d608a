// guest.js: the guest's page. The selfie goes to POST /api/g/{link}/search
// as a form and is not kept; the answer lists the photos that show the
// guest, best match first, each with its own expiring URLs.
'use strict';
(function () {
  const { decode, show } = window.divinepic;
  const link = document.body.dataset.link;
  const $ = (id) => document.getElementById(id);

  async function search(file) {
    if (!file) return;
    show($('message'), '');
    $('results').hidden = true;
    $('actions').hidden = true;
    $('searching').hidden = false;
    try {
      const form = new FormData();
      form.append('selfie', file);
      const res = await decode(await fetch('/api/g/' + encodeURIComponent(link) + '/search', { method: 'POST', body: form }));
      render(res.photos);
    } catch (x) {
      show($('message'), x.message);
      $('actions').hidden = false;
    } finally {
      $('searching').hidden = true;
    }
  }

  function render(photos) {
    const list = $('matches');
    list.replaceChildren();
    if (!photos.length) {
      show($('message'), 'We did not find you in this album. Try a selfie in good light, facing the camera.');
      $('actions').hidden = false;
      return;
    }
    $('results-title').textContent = photos.length === 1 ? 'We found 1 photo of you' : 'We found ' + photos.length + ' photos of you';
    photos.forEach((p, i) => {
      const li = document.createElement('li');
      const a = document.createElement('a');
      a.href = p.download;
      a.setAttribute('download', '');
      a.className = 'match';
      const img = document.createElement('img');
      img.src = p.thumb;
      img.alt = 'Photo ' + (i + 1);
      img.loading = i < 6 ? 'eager' : 'lazy';
      a.append(img);
      if (i === 0) { const b = document.createElement('span'); b.className = 'best'; b.textContent = 'Best match'; a.append(b); }
      const d = document.createElement('span'); d.className = 'dl'; d.textContent = '↓ Download'; a.append(d);
      li.append(a);
      list.append(li);
    });
    $('results').hidden = false;
  }

  $('selfie-camera').addEventListener('change', (e) => { search(e.target.files[0]); e.target.value = ''; });
  $('selfie-file').addEventListener('change', (e) => { search(e.target.files[0]); e.target.value = ''; });
  $('again').addEventListener('click', () => { $('results').hidden = true; $('actions').hidden = false; show($('message'), ''); });
})();
