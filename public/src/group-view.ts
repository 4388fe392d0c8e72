/** The demo page's view of its group: the snapshot, the chat list and who is online. */
import type { ArenaEvent } from './client-common.js';
import { clock, el } from './dom.js';
import { colorOf } from './map.js';

/** Chat messages kept on the page. */
export const CHAT_KEPT = 200;

/** The group's snapshot (`GET /groups/:group/snapshot`). */
export interface Snapshot {
  seq: number;
  members: ArenaEvent[];
  chat: ArenaEvent[];
  online: { user: string; transport: string }[];
}

/** Reads the snapshot; the token goes as a Bearer header. */
export async function snapshot(group: string, token: string): Promise<Snapshot> {
  const response = await fetch(`/groups/${encodeURIComponent(group)}/snapshot`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await response.json()) as Snapshot & { error?: { code: string; message: string } };
  if (!response.ok) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
  return body;
}

/** Appends a chat message (text nodes only), keeping the newest {@link CHAT_KEPT}. */
export function addChat(list: HTMLElement, event: ArenaEvent, self: string | undefined): void {
  const item = el('li', event.user === self ? 'mine' : '');
  const who = el('span', 'who', event.user);
  who.style.color = colorOf(event.user);
  item.append(el('time', '', clock(event.at)), ' ', who, ' ', el('span', 'text', event.data.text));
  list.append(item);
  while (list.children.length > CHAT_KEPT) list.firstElementChild!.remove();
  list.scrollTop = list.scrollHeight;
}

/** Lists who is online and on which transport. */
export function renderOnline(list: HTMLElement, online: Snapshot['online'], self: string | undefined): void {
  list.replaceChildren();
  if (online.length === 0) list.append(el('li', 'muted', 'nobody is subscribed'));
  for (const o of [...online].sort((a, b) => a.user.localeCompare(b.user))) {
    const item = el('li');
    const who = el('span', 'who', o.user === self ? `${o.user} (you)` : o.user);
    who.style.color = colorOf(o.user);
    item.append(who, ' ', el('span', 'tag', o.transport));
    list.append(item);
  }
}

/** The user a token names (its `sub`), read without verifying: the server verifies. */
export function tokenUser(token: string): string | null {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}
