// album.js: the album page. Upload: the files' sizes and CRC32Cs go in an
// upload plan (POST /api/albums/{id}/uploads), which says where to PUT each
// (S3 presigned URLs on AWS, the app here), or asks for the MD5 of a file
// whose name and size are there (always on AWS): then its MD5 goes in a
// second plan, which says whether it is already there; PUTs run
// three at a time and are retried with backoff, so a lost connection resumes
// where it stopped; when a batch is complete, its execution starts
// (POST .../process {batch}). Processing progress is polled from the Map Run.
'use strict';
(function () {
  const { api, decode, show } = window.divinepic;
  const album = document.body.dataset.album;
  const base = '/api/albums/' + encodeURIComponent(album);
  const $ = (id) => document.getElementById(id);

  // Guest link.
  $('make-link').addEventListener('click', async () => {
    try {
      const r = await api('POST', base + '/guest-link', { days: 30 });
      $('guest-link').value = r.url;
      $('copy-link').hidden = false;
      $('make-link').textContent = 'New link';
    } catch (x) { alert(x.message); }
  });
  $('copy-link').addEventListener('click', async () => {
    $('guest-link').select();
    try { await navigator.clipboard.writeText($('guest-link').value); $('copy-link').textContent = 'Copied'; } catch (e) { document.execCommand('copy'); }
  });

  // Upload.
  const dz = $('dropzone');
  dz.addEventListener('dragover', (e) => { e.preventDefault(); dz.classList.add('over'); });
  dz.addEventListener('dragleave', () => dz.classList.remove('over'));
  dz.addEventListener('drop', (e) => { e.preventDefault(); dz.classList.remove('over'); upload([...e.dataTransfer.files]); });
  $('files').addEventListener('change', (e) => { upload([...e.target.files]); e.target.value = ''; });

  function el(tag, cls, text) { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }

  async function upload(files) {
    if (!files.length) return;
    const box = el('div', 'batch');
    const head = el('div', 'batch-head');
    const label = el('span', '', 'Preparing ' + files.length + ' photo' + (files.length === 1 ? '' : 's') + '…');
    const pct = el('span', 'muted', '');
    head.append(label, pct);
    const bar = el('div', 'bar'); const fill = el('span'); bar.append(fill);
    const problems = el('ul');
    box.append(head, bar, problems);
    $('batches').prepend(box);
    const problem = (name, why) => problems.append(el('li', '', name + ': ' + why));
    try {
      const described = [];
      for (const f of files) described.push({ name: f.name, size: f.size, crc32c: await window.crc32cFile(f) });
      const plan = await api('POST', base + '/uploads', { files: described });
      const again = [];
      plan.files.forEach((p, i) => { if (p.action === 'hash') again.push(i); });
      if (again.length) {
        const hashed = [];
        for (const i of again) hashed.push({ ...described[i], md5: await window.md5File(files[i]) });
        const second = await api('POST', base + '/uploads', { files: hashed });
        second.files.forEach((p, j) => {
          plan.files[again[j]] = p.action === 'hash' ? { name: p.name, action: 'refuse', reason: 'the app asks for the MD5 it was given' } : p;
        });
      }
      const todo = [];
      let skipped = 0;
      plan.files.forEach((p, i) => {
        if (p.action === 'put') todo.push({ file: files[i], plan: p, sent: 0 });
        else if (p.action === 'skip') skipped++;
        else problem(p.name, p.reason);
      });
      const total = todo.reduce((n, t) => n + t.file.size, 0) || 1;
      const update = () => {
        const sent = todo.reduce((n, t) => n + t.sent, 0);
        fill.style.width = (100 * sent / total).toFixed(1) + '%';
        pct.textContent = Math.round(100 * sent / total) + '%';
      };
      label.textContent = 'Uploading ' + todo.length + ' photo' + (todo.length === 1 ? '' : 's') + (skipped ? ' · ' + skipped + ' already uploaded' : '');
      let next = 0, failed = 0;
      async function worker() {
        while (next < todo.length) {
          const t = todo[next++];
          try { await putWithRetry(t, update); } catch (x) { failed++; problem(t.plan.name, x.message); }
        }
      }
      await Promise.all([worker(), worker(), worker()]);
      fill.style.width = '100%';
      const done = todo.length - failed;
      label.textContent = done + ' uploaded' + (skipped ? ' · ' + skipped + ' already there' : '') + (failed ? ' · ' + failed + ' failed' : '');
      pct.textContent = failed ? 'retry: drop the same files again' : 'done';
      if (done > 0 || skipped > 0) {
        await api('POST', base + '/process', { batch: plan.batch });
        watch();
      }
    } catch (x) { label.textContent = 'Upload stopped'; problem('batch', x.message); }
  }

  // putWithRetry PUTs one file, retrying lost connections and server
  // errors with backoff; a refusal (4xx) is final.
  async function putWithRetry(t, update) {
    for (let attempt = 0; ; attempt++) {
      try { return await put(t, update); } catch (x) {
        if (x.final || attempt >= 5) throw x;
        t.sent = 0; update();
        await new Promise((r) => setTimeout(r, Math.min(30000, 500 * 2 ** attempt)));
      }
    }
  }

  function put(t, update) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open('PUT', t.plan.url);
      for (const [k, v] of Object.entries(t.plan.headers || {})) x.setRequestHeader(k, v);
      x.upload.onprogress = (e) => { t.sent = e.loaded; update(); };
      x.onload = () => {
        if (x.status >= 200 && x.status < 300) { t.sent = t.file.size; update(); resolve(); return; }
        let msg = 'refused (' + x.status + ')';
        try { msg = JSON.parse(x.responseText).error.message; } catch (e) { /* S3's XML error */ }
        const err = new Error(msg); err.final = x.status >= 400 && x.status < 500; reject(err);
      };
      x.onerror = () => reject(new Error('connection lost'));
      x.send(t.file);
    });
  }

  // Processing.
  $('process').addEventListener('click', async () => { await api('POST', base + '/process', {}); watch(); });
  $('reprocess').addEventListener('click', async () => {
    if (!confirm('Find the faces of every photo of this album again?')) return;
    await api('POST', base + '/process', { reprocess: true }); watch();
  });

  let watching = false;
  async function watch() {
    if (watching) return;
    watching = true;
    $('progress-card').hidden = false;
    for (;;) {
      let p;
      try { p = await decode(await fetch(base + '/progress', { credentials: 'same-origin' })); } catch (x) { show($('progress-text'), x.message); break; }
      const total = p.total || 0, finished = p.done + p.failed;
      $('progress-bar').style.width = total ? (100 * p.done / total) + '%' : '0';
      $('progress-failed').style.width = total ? (100 * p.failed / total) + '%' : '0';
      let text = p.status === 'RUNNING' ? (total ? finished + ' of ' + total + ' photos' : 'starting…') : p.status.toLowerCase();
      if (p.failed) text += ' · ' + p.failed + ' failed';
      if (p.etaSeconds != null) text += ' · about ' + Math.max(1, Math.round(p.etaSeconds)) + ' s left';
      $('progress-text').textContent = text;
      if (p.status === 'none') { $('progress-card').hidden = true; break; }
      if (p.status !== 'RUNNING') { if (p.status === 'SUCCEEDED') location.reload(); break; }
      await new Promise((r) => setTimeout(r, 1000));
    }
    watching = false;
  }
  api('GET', base + '/progress').then((p) => { if (p.status === 'RUNNING') watch(); }).catch(() => {});

  // Face boxes on hover.
  const faces = new Map();
  document.querySelectorAll('.tile').forEach((tile) => {
    tile.addEventListener('mouseenter', async () => {
      const id = tile.dataset.image;
      if (!faces.has(id)) faces.set(id, api('GET', base + '/photos/' + id).catch(() => ({ faces: [] })));
      const rec = await faces.get(id);
      const img = tile.querySelector('img'), layer = tile.querySelector('.boxes');
      if (!img.naturalWidth || layer.childElementCount) return;
      // The photo is letterboxed in its frame (object-fit: contain).
      const fw = img.clientWidth, fh = img.clientHeight, s = Math.min(fw / img.naturalWidth, fh / img.naturalHeight);
      const w = img.naturalWidth * s, h = img.naturalHeight * s;
      layer.style.left = (fw - w) / 2 + 'px'; layer.style.top = (fh - h) / 2 + 'px';
      layer.style.width = w + 'px'; layer.style.height = h + 'px';
      for (const f of rec.faces) {
        const b = el('span');
        b.style.left = (100 * f.box[0]) + '%'; b.style.top = (100 * f.box[1]) + '%';
        b.style.width = (100 * (f.box[2] - f.box[0])) + '%'; b.style.height = (100 * (f.box[3] - f.box[1])) + '%';
        layer.append(b);
      }
    });
    tile.addEventListener('mouseleave', () => { tile.querySelector('.boxes').replaceChildren(); });
  });
})();

// People: merge two, take a wrong face out (the same stored corrections as
// `divinepic people --merge/--split`); the page reloads to show the result.
(function () {
  'use strict';
  const section = document.getElementById('people');
  if (!section) return;
  const { api, show } = window.divinepic;
  const base = '/api/albums/' + encodeURIComponent(document.body.dataset.album) + '/people/';
  const merge = document.getElementById('merge'), status = document.getElementById('people-status');
  const picked = () => [...section.querySelectorAll('.pick:checked')].map((c) => c.value);
  section.addEventListener('change', (e) => {
    if (!e.target.classList.contains('pick')) return;
    e.target.closest('.person').classList.toggle('picked', e.target.checked);
    const n = picked().length;
    merge.disabled = n !== 2;
    show(status, n === 1 ? 'Select one more person' : n > 2 ? 'Select exactly two people' : '');
  });
  async function correct(path, body) {
    merge.disabled = true;
    show(status, 'Saving…');
    try {
      await api('POST', base + path, body);
      location.reload();
    } catch (err) {
      show(status, err.message);
    }
  }
  merge.addEventListener('click', () => correct('merge', { people: picked() }));
  section.addEventListener('click', (e) => {
    const b = e.target.closest('.split');
    if (b) correct('split', { face: b.dataset.face });
  });
})();
