// Lookout dashboard: camera tiles (live image with boxes drawn by the server, status, speed) and a live events list.
// Plain DOM, no framework: state comes from /api/cameras (polled) and /ws (pushed), images from /api/.../latest.jpg.
const tiles = new Map();
const eventsList = document.getElementById('events');
const noEvents = document.getElementById('no-events');
const MAX_EVENTS = 60;
const IMAGE_INTERVAL_MS = 400;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function tileFor(camera) {
  let t = tiles.get(camera.name);
  if (t) return t;
  const img = el('img', { alt: `${camera.name} live`, 'data-camera': camera.name });
  const placeholder = el('div', { class: 'placeholder' }, 'waiting for a frame…');
  const badge = el('span', { class: 'badge' });
  const figures = el('span', { class: 'figures' });
  const node = el('article', { class: 'tile', 'data-camera': camera.name },
    el('div', { class: 'view' }, img, placeholder),
    el('div', { class: 'meta' }, el('span', { class: 'name' }, camera.name), figures, badge));
  document.getElementById('tiles').append(node);
  t = { node, img, placeholder, badge, figures, loading: false };
  tiles.set(camera.name, t);
  // the next image is asked for only once the last one arrived: a slow link gets fewer frames, never a pile-up
  const next = () => setTimeout(() => refreshImage(camera.name), IMAGE_INTERVAL_MS);
  img.addEventListener('load', () => { placeholder.hidden = true; img.dataset.loaded = String(Number(img.dataset.loaded ?? 0) + 1); next(); });
  img.addEventListener('error', next);
  refreshImage(camera.name);
  return t;
}

function refreshImage(name) {
  const t = tiles.get(name);
  if (t) t.img.src = `/api/cameras/${encodeURIComponent(name)}/latest.jpg?t=${Date.now()}`;
}

async function refreshCameras() {
  try {
    const res = await fetch('/api/cameras', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const cameras = await res.json();
    let online = 0;
    for (const c of cameras) {
      const t = tileFor(c);
      t.badge.textContent = c.status;
      t.badge.className = `badge ${c.status}`;
      t.badge.title = c.error ?? '';
      t.figures.textContent = `${c.detectFps.toFixed(1)} fps · ${c.inferenceMs.toFixed(1)} ms`;
      if (c.status === 'online') online++;
    }
    document.getElementById('summary').textContent = `${online} of ${cameras.length} camera${cameras.length === 1 ? '' : 's'} online`;
  } catch (err) {
    document.getElementById('summary').textContent = `cannot reach Lookout (${err.message})`;
  }
}

function timeText(seconds) {
  const s = Math.max(0, seconds);
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function addEvent(type, o) {
  noEvents.hidden = true;
  const thumb = el('img', { alt: '', loading: 'lazy' });
  let tries = 0;
  // the snapshot is encoded just after the event: retry briefly before giving up
  thumb.addEventListener('error', () => { if (++tries < 5) setTimeout(() => (thumb.src = `/api/events/${encodeURIComponent(o.id)}/snapshot.jpg?r=${tries}`), 400); });
  thumb.src = `/api/events/${encodeURIComponent(o.id)}/snapshot.jpg`;
  const zones = o.current_zones?.length ? ` in ${o.current_zones.join(', ')}` : '';
  const item = el('li', { class: 'event', 'data-id': o.id, 'data-type': type },
    thumb,
    el('div', {},
      el('div', {}, el('span', { class: 'what' }, `${o.label} on ${o.camera}`), el('span', { class: `type ${type}` }, type)),
      el('div', { class: 'when' }, `${Math.round(o.score * 100)}%${zones} · ${type === 'end' ? `gone after ${timeText((o.end_time ?? o.last_seen) - o.start_time)}` : `at ${timeText(o.start_time)}`}`)));
  eventsList.prepend(item);
  while (eventsList.children.length > MAX_EVENTS) eventsList.lastElementChild.remove();
}

async function loadRecentEvents() {
  try {
    const res = await fetch('/api/events?limit=30', { cache: 'no-store' });
    if (!res.ok) return;
    const events = await res.json();
    for (const e of events.reverse()) {
      const o = e.object;
      addEvent(e.type, { id: o.id, camera: o.camera, label: o.label, score: o.score, current_zones: o.currentZones, start_time: o.startTime, last_seen: o.lastSeen, end_time: o.endTime });
    }
  } catch { /* the live feed fills the list */ }
}

let retryMs = 500;
function connect() {
  const link = document.getElementById('link');
  link.dataset.state = 'connecting';
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.addEventListener('open', () => {
    retryMs = 500;
    link.dataset.state = 'open';
    ws.send(JSON.stringify({ subscribe: ['#'] }));
  });
  ws.addEventListener('message', (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch { return; }
    if (typeof msg.topic !== 'string') return;
    if (msg.topic.endsWith('/events') && msg.payload?.after) addEvent(msg.payload.type, msg.payload.after);
  });
  ws.addEventListener('close', () => {
    link.dataset.state = 'closed';
    // reconnect by itself, backing off to 10 s
    setTimeout(connect, retryMs);
    retryMs = Math.min(10000, retryMs * 2);
  });
}

await refreshCameras();
await loadRecentEvents();
setInterval(refreshCameras, 2000);
connect();
