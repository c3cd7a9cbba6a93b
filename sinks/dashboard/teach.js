// The Teach page: label collected crops into class folders, then train a classifier on them and read its report.
// Plain DOM, no build step; the server's API does every file operation (sinks/http/teach-api.ts).
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let dataset = Number(params.get('dataset') ?? 0) || 0;
let view = { classes: [], unlabelled: [], unlabelled_total: 0, datasets: [] };
let selected; // id of the picked crop
/** assignments, newest last: { id, to } */
const undo = [];

function message(text) {
  $('message').textContent = text ?? '';
}

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dataset, ...body }) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(json.error ?? `${res.status}`), { status: res.status });
  return json;
}

async function refresh() {
  try {
    view = await api(`/api/teach?dataset=${dataset}`);
  } catch (err) {
    $('summary').textContent = err.message;
    return;
  }
  renderDatasets();
  renderClasses();
  renderGrid();
  renderTraining(view.training);
}

function renderDatasets() {
  const sel = $('dataset');
  sel.hidden = view.datasets.length < 2;
  sel.replaceChildren(...view.datasets.map((d) => Object.assign(document.createElement('option'), { value: d.index, textContent: d.dir, selected: d.index === dataset })));
  const labelled = view.classes.reduce((n, c) => n + c.count, 0);
  $('summary').textContent = `${view.datasets[dataset]?.dir ?? ''}: ${view.unlabelled_total} unlabelled, ${labelled} labelled in ${view.classes.length} classes`;
}

function renderClasses() {
  $('classes').replaceChildren(
    ...view.classes.map((c, i) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'class';
      b.dataset.class = c.name;
      b.title = i < 9 ? `assign the picked crop (key ${i + 1})` : 'assign the picked crop';
      b.innerHTML = `<span class="key"></span><span class="name"></span><span class="count"></span>`;
      b.querySelector('.key').textContent = i < 9 ? String(i + 1) : '';
      b.querySelector('.name').textContent = c.name;
      b.querySelector('.count').textContent = String(c.count);
      b.addEventListener('click', () => assign(c.name));
      li.append(b);
      return li;
    }),
  );
}

function renderGrid() {
  const crops = view.unlabelled;
  if (!crops.some((c) => c.id === selected)) selected = crops[0]?.id;
  $('grid').replaceChildren(
    ...crops.map((c) => {
      const fig = document.createElement('figure');
      fig.className = 'crop';
      fig.dataset.id = c.id;
      fig.setAttribute('aria-selected', String(c.id === selected));
      const img = document.createElement('img');
      img.loading = 'lazy';
      img.alt = `${c.label} on ${c.camera}`;
      img.src = `/api/teach/image?dataset=${dataset}&folder=unlabelled&id=${encodeURIComponent(c.id)}`;
      const cap = document.createElement('figcaption');
      cap.textContent = `${c.label} · ${c.camera}${c.score !== undefined ? ` · ${Math.round(c.score * 100)}%` : ''} · ${new Date(c.time * 1000).toLocaleTimeString()}`;
      fig.append(img, cap);
      fig.addEventListener('click', () => pick(c.id));
      return fig;
    }),
  );
  $('unlabelled-count').textContent = `(${view.unlabelled_total})`;
  $('empty').hidden = crops.length > 0;
  $('delete').disabled = selected === undefined;
  $('undo').disabled = undo.length === 0;
}

function pick(id) {
  selected = id;
  for (const f of document.querySelectorAll('.crop')) f.setAttribute('aria-selected', String(f.dataset.id === id));
  $('delete').disabled = false;
}

async function assign(cls) {
  if (selected === undefined) return message('no crop picked');
  const id = selected;
  try {
    await api('/api/teach/move', { id, from: 'unlabelled', to: cls });
    undo.push({ id, to: cls });
    message(`${id} → ${cls}`);
  } catch (err) {
    message(err.message);
  }
  await refresh();
}

async function undoLast() {
  const last = undo.pop();
  if (!last) return;
  try {
    await api('/api/teach/move', { id: last.id, from: last.to, to: 'unlabelled' });
    selected = last.id;
    message(`undone: ${last.id} back to unlabelled`);
  } catch (err) {
    message(err.message);
  }
  await refresh();
}

async function deletePicked() {
  if (selected === undefined) return;
  try {
    await api('/api/teach/delete', { id: selected, from: 'unlabelled' });
    message(`deleted ${selected}`);
  } catch (err) {
    message(err.message);
  }
  await refresh();
}

const pct = (v) => `${(v * 100).toFixed(1)} %`;
const cell = (tag, text) => Object.assign(document.createElement(tag), { textContent: text });

let trainingSeq = -1;
function renderTraining(t) {
  // states come by the POST's answer, the event stream and refresh(): an older one never replaces a newer one
  if (!t || t.seq < trainingSeq) return;
  trainingSeq = t.seq;
  const box = $('training');
  box.dataset.state = t.state;
  $('train-button').disabled = t.state === 'running';
  const bar = $('train-progress');
  bar.hidden = t.state !== 'running';
  const p = t.progress;
  if (t.state === 'running') {
    if (p?.phase === 'load') {
      bar.max = p.total;
      bar.value = p.done;
    } else bar.removeAttribute('value');
    $('train-status').textContent = `training ${t.name}: ${p?.phase === 'load' ? `reading crops ${p.done}/${p.total}` : p?.phase === 'check' ? 'checking the model on the test crops…' : p?.message ?? 'starting…'}`;
  } else if (t.state === 'failed') {
    $('train-status').textContent = `training ${t.name} failed: ${t.error}`;
  } else if (t.state === 'done') {
    $('train-status').textContent = `trained ${t.name} in ${t.result.wallSeconds.toFixed(1)} s: ${t.result.files.model}`;
  } else $('train-status').textContent = '';
  const report = $('report');
  report.className = 'report';
  if (t.state !== 'done') return report.replaceChildren();
  const m = t.result.metrics;
  const acc = cell('p', `accuracy ${pct(m.accuracy)} (${m.correct} of ${m.classes.reduce((n, c) => n + c.support, 0)} test crops)`);
  acc.className = 'accuracy';
  const per = document.createElement('table');
  per.className = 'per-class';
  per.append(rowOf('th', ['class', 'precision', 'recall', 'F1', 'test crops']));
  for (const c of m.classes) per.append(rowOf('td', [c.label, pct(c.precision), pct(c.recall), c.f1.toFixed(3), String(c.support)], c.label));
  const conf = document.createElement('table');
  conf.className = 'confusion';
  conf.append(rowOf('th', ['true \\ predicted', ...m.classes.map((c) => c.label)]));
  m.confusion.forEach((row, i) => conf.append(rowOf('td', [m.classes[i].label, ...row.map(String)])));
  report.replaceChildren(acc, per, cell('p', 'confusion matrix'), conf);
}

function rowOf(tag, texts, key) {
  const tr = document.createElement('tr');
  if (key !== undefined) tr.dataset.class = key;
  tr.append(...texts.map((t) => cell(tag, t)));
  return tr;
}

$('new-class').addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = $('class-name').value.trim();
  try {
    await api('/api/teach/classes', { name });
    $('class-name').value = '';
    message(`class ${name} added`);
  } catch (err) {
    message(err.message);
  }
  await refresh();
});

$('train').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    renderTraining(await api('/api/teach/train', { name: $('model-name').value.trim() }));
  } catch (err) {
    message(err.message);
  }
});

$('undo').addEventListener('click', undoLast);
$('delete').addEventListener('click', deletePicked);
$('dataset').addEventListener('change', (e) => {
  dataset = Number(e.target.value);
  undo.length = 0;
  refresh();
});

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) {
    if ((e.ctrlKey || e.metaKey) && e.key === 'z' && !(e.target instanceof HTMLInputElement)) undoLast();
    return;
  }
  if (/^[1-9]$/.test(e.key)) {
    const c = view.classes[Number(e.key) - 1];
    if (c) assign(c.name);
  } else if (e.key === 'u') undoLast();
  else if (e.key === 'Delete' || e.key === 'x') deletePicked();
});

// the training state, live: progress while it runs, the report when it is done
const events = new EventSource('/api/teach/train/events');
events.onmessage = (e) => {
  const t = JSON.parse(e.data);
  renderTraining(t);
  if (t.state === 'done' || t.state === 'failed') message('');
};

refresh();
