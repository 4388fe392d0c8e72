/**
 * The live demo (`/`): join a group on one of five transports, share a walk (or the real position),
 * chat, and switch transport on the fly without losing or repeating an event. State is exposed on
 * `window.arenaDemo` for browser tests.
 */
import { TRANSPORTS, connect, publishHttp, type ArenaEvent, type ConnectOptions, type PublishCommand, type TransportClient, type TransportName } from './clients.js';
import { $, bytes, el, ms, scriptsLoaded } from './dom.js';
import { GroupMap } from './map.js';
import { addChat, renderOnline, snapshot, tokenUser } from './group-view.js';
import { LatencyWindow, SeqTracker, contiguous } from './stats.js';
import { startSharing } from './sharing.js';

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SWITCHES_KEPT = 20;
const SNAPSHOT_EVERY_MS = 5000;

interface Switch {
  from: TransportName;
  to: TransportName;
  after: number;
  /** The first seq received on the new transport, and whether it followed on. */
  first: number | null;
}

const tracker = new SeqTracker();
const latency = new LatencyWindow();
const map = new GroupMap($('map') as unknown as SVGSVGElement, '');
const switches: Switch[] = [];
let client: TransportClient | null = null;
let joined: { group: string; user: string; token: string } | null = null;
let bytesReceived = 0;
let truncations = 0;
let timers: ReturnType<typeof setInterval>[] = [];
let stopSharing: () => void = () => {};
let renderQueued = false;

const transportSelect = $<HTMLSelectElement>('transport');
const hint = $('hint');

function setHint(text: string, tone: 'ok' | 'info' | 'bad'): void {
  hint.textContent = text;
  hint.className = `hint ${tone}`;
}

function options(): ConnectOptions {
  const j = joined!;
  return { group: j.group, user: j.user, token: j.token, cursor: () => tracker.cursor ?? 0 };
}

function onEvent(event: ArenaEvent): void {
  const outcome = tracker.accept(event.seq);
  const last = switches[switches.length - 1];
  if (last && last.first === null) last.first = event.seq;
  if (outcome === 'duplicate') return schedule();
  if (typeof event.sentAt === 'number') latency.add(Date.now() - event.sentAt);
  if (event.type === 'location') map.move(event.user, event.data.lat, event.data.lng, event.at);
  else addChat($('chat'), event, joined?.user);
  schedule();
}

function open(name: TransportName): void {
  client = connect(name, options(), {
    event: onEvent,
    bytes: (n) => {
      bytesReceived += n;
      schedule();
    },
    status: setHint,
    truncated: () => {
      truncations++;
      schedule();
    },
  });
  transportSelect.value = name;
  schedule();
}

async function refreshSnapshot(): Promise<void> {
  if (!joined) return;
  try {
    const s = await snapshot(joined.group, joined.token);
    renderOnline($('online'), s.online, joined.user);
    for (const m of s.members) if (!map.members.has(m.user)) map.move(m.user, m.data.lat, m.data.lng, m.at);
    schedule();
  } catch {
    // the live stream's hint already says what is wrong
  }
}

async function join(): Promise<void> {
  const group = $<HTMLInputElement>('group').value.trim();
  const token = $<HTMLInputElement>('token').value.trim();
  const user = (token && tokenUser(token)) || $<HTMLInputElement>('name').value.trim();
  if (!ID.test(group)) return setHint('Group: 1-64 letters, digits, "_", "." or "-"', 'bad');
  if (!ID.test(user)) return setHint('Name: 1-64 letters, digits, "_", "." or "-"', 'bad');
  leave(false);
  const attempt = ++joins; // a second Join while the snapshot loads wins; the first stops here
  const sameGroup = joined === null && tracker.cursor !== null && lastGroup === group;
  joined = { group, user, token };
  map.setSelf(user);
  if (!sameGroup) {
    tracker.reset();
    latency.reset();
    map.clear();
    $('chat').replaceChildren();
    switches.length = 0;
    bytesReceived = truncations = 0;
    try {
      const s = await snapshot(group, token);
      if (attempt !== joins) return;
      tracker.start(s.seq);
      for (const m of s.members) map.move(m.user, m.data.lat, m.data.lng, m.at);
      for (const c of s.chat) addChat($('chat'), c, user);
      renderOnline($('online'), s.online, user);
    } catch (err) {
      if (attempt !== joins) return;
      joined = null;
      return setHint(`cannot join: ${(err as Error).message}`, 'bad');
    }
  }
  lastGroup = group;
  setHint(`connecting over ${transportSelect.value} after seq ${tracker.cursor}…`, 'info');
  open(transportSelect.value as TransportName);
  stopSharing = startSharing($<HTMLSelectElement>('position').value, publish, (why) => setHint(`location not shared: ${why}`, 'bad'));
  timers.push(setInterval(() => void refreshSnapshot(), SNAPSHOT_EVERY_MS));
  setTimeout(() => void refreshSnapshot(), 300);
  $<HTMLButtonElement>('disconnect').disabled = false;
}
let lastGroup = '';
let joins = 0;

function leave(showHint: boolean): void {
  client?.close();
  client = null;
  for (const t of timers) clearInterval(t);
  timers = [];
  stopSharing();
  if (joined && showHint) {
    setHint(`Disconnected after seq ${tracker.cursor}. Join resumes from there on any transport: nothing published meanwhile is missed (up to the server's history).`, 'info');
  }
  joined = null;
  $<HTMLButtonElement>('disconnect').disabled = true;
  schedule();
}

/** Switches transport on the fly: the old client stops before the new one subscribes from the same cursor. */
function switchTo(name: TransportName): void {
  if (!TRANSPORTS.includes(name)) throw new Error(`unknown transport ${name}`);
  if (!joined || !client) {
    transportSelect.value = name;
    return;
  }
  if (client.name === name) return;
  const from = client.name;
  client.close();
  switches.push({ from, to: name, after: tracker.cursor ?? 0, first: null });
  if (switches.length > SWITCHES_KEPT) switches.shift();
  setHint(`switching ${from} → ${name} after seq ${tracker.cursor}…`, 'info');
  open(name);
}

function publish(command: PublishCommand): Promise<number> {
  const withTime = { ...command, sentAt: Date.now() };
  const p = client ? client.publish(withTime) : joined ? publishHttp(options(), withTime) : Promise.reject(new Error('join a group first'));
  return p.catch((err: unknown) => {
    setHint(`publish failed: ${(err as Error).message}`, 'bad');
    throw err;
  });
}

function publishChat(text: string): Promise<number> {
  return publish({ type: 'chat', text, clientId: `c-${Math.random().toString(36).slice(2, 10)}` });
}

function schedule(): void {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(render, 100);
}

function render(): void {
  renderQueued = false;
  const r = tracker.received;
  $('s-transport').textContent = client ? client.name : 'not connected';
  $('s-cursor').textContent = tracker.cursor === null ? '–' : String(tracker.cursor);
  $('s-count').textContent = tracker.count.toLocaleString('en-US');
  $('s-gaps').textContent = String(tracker.gaps);
  $('s-dups').textContent = String(tracker.duplicates);
  $('s-p50').textContent = ms(latency.percentile(50));
  $('s-p99').textContent = ms(latency.percentile(99));
  $('s-bytes').textContent = bytes(bytesReceived);
  const ok = contiguous(r) && tracker.gaps === 0 && tracker.duplicates === 0;
  const line = $('contiguity');
  line.className = r.length === 0 ? 'muted' : ok ? 'good' : 'bad';
  line.textContent =
    r.length === 0
      ? 'No events yet.'
      : ok
        ? `✓ seqs ${r[0]}–${r[r.length - 1]} received in order: no gap, no duplicate${switches.length ? ` across ${switches.length} switch${switches.length > 1 ? 'es' : ''}` : ''}.`
        : `✗ ${tracker.gaps} missing, ${tracker.duplicates} repeated${truncations ? ` (the server cut history ${truncations}×)` : ''}.`;
  const list = $('switches');
  list.replaceChildren();
  if (switches.length === 0) list.append(el('li', 'muted', 'No switch yet: pick another transport while joined.'));
  for (const s of switches) {
    const follows = s.first === null ? 'waiting for the next event' : s.first === s.after + 1 ? `next seq ${s.first} ✓` : `next seq ${s.first} ✗`;
    list.append(el('li', s.first === null || s.first === s.after + 1 ? '' : 'bad', `${s.from} → ${s.to} after seq ${s.after}: ${follows}`));
  }
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-switch]')) {
    b.setAttribute('aria-pressed', String(client?.name === b.dataset.switch));
    b.disabled = !joined;
  }
  const svg = $('map');
  svg.setAttribute('aria-label', `Map of ${map.members.size} member${map.members.size === 1 ? '' : 's'} with their trails`);
  map.render();
}

function setup(): void {
  scriptsLoaded();
  const name = $<HTMLInputElement>('name');
  if (!name.value) name.value = `walker-${Math.floor(Math.random() * 1000)}`;
  $('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void join();
  });
  $('disconnect').addEventListener('click', () => leave(true));
  window.addEventListener('resize', schedule);
  transportSelect.addEventListener('change', () => switchTo(transportSelect.value as TransportName));
  const buttons = $('switch-buttons');
  for (const t of TRANSPORTS) {
    const b = el('button', 'chip', t);
    b.type = 'button';
    b.dataset.switch = t;
    b.addEventListener('click', () => switchTo(t));
    buttons.append(b);
  }
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>('message');
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    void publishChat(text).catch(() => {});
  });
  const params = new URLSearchParams(location.search);
  const t = params.get('transport');
  if (t && (TRANSPORTS as readonly string[]).includes(t)) transportSelect.value = t;
  if (params.get('group')) $<HTMLInputElement>('group').value = params.get('group')!;
  render();
}

declare global {
  interface Window {
    /** The demo's state for browser tests (see the issue's testing hook). */
    arenaDemo: {
      readonly transport: TransportName | null;
      readonly received: number[];
      readonly cursor: number | null;
      readonly gaps: number;
      readonly duplicates: number;
      readonly joined: boolean;
      readonly hint: string;
      switchTo(name: TransportName): void;
      publishChat(text: string): Promise<number>;
    };
  }
}

window.arenaDemo = {
  get transport() {
    return client?.name ?? null;
  },
  get received() {
    return [...tracker.received];
  },
  get cursor() {
    return tracker.cursor;
  },
  get gaps() {
    return tracker.gaps;
  },
  get duplicates() {
    return tracker.duplicates;
  },
  get joined() {
    return joined !== null;
  },
  get hint() {
    return hint.textContent ?? '';
  },
  switchTo,
  publishChat,
};
setup();
