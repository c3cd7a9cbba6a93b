// Lookout dashboard: camera tiles (live image with boxes drawn by the server, status, speed) and a live events list.
// Plain DOM, no framework: state comes from /api/cameras (polled) and /ws (pushed), images from /api/.../latest.jpg.
const tiles = new Map();
const eventsList = document.getElementById('events');
const noEvents = document.getElementById('no-events');
const MAX_EVENTS = 60;
const IMAGE_INTERVAL_MS = 400;
const SVG = 'http://www.w3.org/2000/svg';
/** camera → line → { in, out }: today's counts summed over labels, from the retained line topics on /ws */
const lineCounts = new Map();
/** camera/line/label/direction → count, so a label's new value replaces its old one in the sums */
const lineCountByTopic = new Map();

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
  const overlay = document.createElementNS(SVG, 'svg');
  overlay.setAttribute('class', 'lines');
  overlay.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  const node = el('article', { class: 'tile', 'data-camera': camera.name },
    el('div', { class: 'view' }, img, overlay, placeholder),
    el('div', { class: 'meta' }, el('span', { class: 'name' }, camera.name), figures, badge));
  document.getElementById('tiles').append(node);
  t = { node, img, overlay, placeholder, badge, figures, loading: false, linesKey: '' };
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
      t.figures.textContent = `${c.detect_fps.toFixed(1)} fps · ${c.inference_ms.toFixed(1)} ms`;
      drawLines(t, c);
      if (c.status === 'online') online++;
    }
    document.getElementById('summary').textContent = `${online} of ${cameras.length} camera${cameras.length === 1 ? '' : 's'} online`;
  } catch (err) {
    document.getElementById('summary').textContent = `cannot reach Lookout (${err.message})`;
  }
}

/**
 * The camera's counting lines over its live image, in source pixels: the SVG's viewBox is the picture, and `meet`
 * fits it exactly like the image's `object-fit: contain`. Each line shows today's in (a → b) and out counts.
 */
function drawLines(t, camera) {
  const lines = camera.lines ?? [];
  if (!camera.width || !camera.height || lines.length === 0) return;
  const key = JSON.stringify([camera.width, camera.height, lines]);
  if (key !== t.linesKey) {
    t.linesKey = key;
    t.overlay.setAttribute('viewBox', `0 0 ${camera.width} ${camera.height}`);
    t.overlay.replaceChildren();
    const scale = Math.max(camera.width, camera.height) / 400;
    for (const line of lines) {
      const fractional = line.points.flat().every((v) => v >= 0 && v <= 1);
      const [[x1, y1], [x2, y2]] = line.points.map(([x, y]) => (fractional ? [x * camera.width, y * camera.height] : [x, y]));
      const g = document.createElementNS(SVG, 'g');
      g.setAttribute('data-line', line.name);
      const path = document.createElementNS(SVG, 'line');
      for (const [k, v] of Object.entries({ x1, y1, x2, y2, 'stroke-width': 2 * scale })) path.setAttribute(k, String(v));
      const label = document.createElementNS(SVG, 'text');
      label.setAttribute('x', String((x1 + x2) / 2));
      label.setAttribute('y', String((y1 + y2) / 2 - 4 * scale));
      label.setAttribute('font-size', String(11 * scale));
      g.append(path, label);
      t.overlay.append(g);
    }
  }
  for (const g of t.overlay.querySelectorAll('g[data-line]')) updateLineLabel(camera.name, g);
}

function updateLineLabel(camera, g) {
  const name = g.getAttribute('data-line');
  const c = lineCounts.get(camera)?.get(name) ?? { in: 0, out: 0 };
  g.setAttribute('data-in', String(c.in));
  g.setAttribute('data-out', String(c.out));
  g.querySelector('text').textContent = `${name} in ${c.in} · out ${c.out}`;
}

/** `<prefix>/<camera>/line/<line>/<label>/<in|out>` (today's count); false when the topic is not one. */
function onLineCount(topic, payload) {
  const parts = topic.split('/');
  if (parts.length < 6 || parts.at(-4) !== 'line') return false;
  const [camera, , line, label, direction] = parts.slice(-5);
  if (direction !== 'in' && direction !== 'out') return false;
  lineCountByTopic.set(`${camera}/${line}/${label}/${direction}`, Number(payload) || 0);
  let sum = 0;
  for (const [k, v] of lineCountByTopic) if (k.startsWith(`${camera}/${line}/`) && k.endsWith(`/${direction}`)) sum += v;
  if (!lineCounts.has(camera)) lineCounts.set(camera, new Map());
  const perLine = lineCounts.get(camera);
  perLine.set(line, { ...(perLine.get(line) ?? { in: 0, out: 0 }), [direction]: sum });
  const g = tiles.get(camera)?.overlay.querySelector(`g[data-line="${CSS.escape(line)}"]`);
  if (g) updateLineLabel(camera, g);
  return true;
}

/** Epoch seconds as the local time of day (the date too when it is not today). */
function clockText(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === new Date().toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
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
      el('div', { class: 'when' }, `${Math.round(o.score * 100)}%${zones} · ${type === 'end' ? `gone after ${timeText((o.end_time ?? o.last_seen) - o.start_time)}` : `at ${clockText(o.start_time)}`}`)));
  if (type === 'end' && o.has_clip) item.lastElementChild.append(clipButton(o.id));
  eventsList.prepend(item);
  while (eventsList.children.length > MAX_EVENTS) eventsList.lastElementChild.remove();
}

/** Plays the event's clip in place; the clip is made after the post-roll, so a 503 is retried for a while. */
function clipButton(id) {
  const button = el('button', { class: 'clip', type: 'button' }, '▶ clip');
  button.addEventListener('click', () => {
    const video = el('video', { class: 'clip', controls: '', autoplay: '', muted: '', playsinline: '', 'data-id': id });
    let tries = 0;
    const src = () => `/api/events/${encodeURIComponent(id)}/clip.mp4${tries ? `?r=${tries}` : ''}`;
    video.addEventListener('error', () => { if (++tries < 15) setTimeout(() => (video.src = src()), 2000); });
    video.src = src();
    button.replaceWith(video);
  }, { once: true });
  return button;
}

async function loadRecentEvents() {
  try {
    const res = await fetch('/api/lookout/events?limit=30', { cache: 'no-store' });
    if (!res.ok) return;
    const events = await res.json();
    for (const e of events.reverse()) {
      const o = e.object;
      addEvent(e.type, o);
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
    else onLineCount(msg.topic, msg.payload);
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
