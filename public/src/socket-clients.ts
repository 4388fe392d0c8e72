/** The WebSocket client (JSON ops) and the STOMP client (@stomp/stompjs's `Client`). */
import { Client, type IMessage } from '@stomp/stompjs';
import { RECONNECT_MS, guarded, identity, publishHttp, sizeOf, wsOrigin, type ArenaEvent, type ClientHandlers, type ConnectOptions, type TransportClient } from './client-common.js';

const RECEIPT_WAIT_MS = 10_000;

/** WebSocket: subscribe op with a numeric `since`, publish op with a ref, reconnect with backoff from the cursor. */
export function websocket(options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  let closed = false;
  let ws: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let refs = 0;
  const pending = new Map<string, { resolve: (seq: number) => void; reject: (err: Error) => void }>();
  const h = guarded(handlers, () => closed);

  const open = () => {
    const socket = new WebSocket(`${wsOrigin()}/ws?${identity(options, true)}`);
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      // `since` is a number on the wire: a string is refused as invalid_cursor.
      socket.send(JSON.stringify({ op: 'subscribe', group: options.group, since: options.cursor() }));
    };
    socket.onmessage = (m: MessageEvent) => {
      h.bytes(sizeOf(m.data));
      const op = JSON.parse(String(m.data)) as { op: string; event?: ArenaEvent; seq?: number; truncated?: boolean; code?: string; message?: string; ref?: string };
      if (op.op === 'event') h.event(op.event!);
      else if (op.op === 'subscribed') {
        if (op.truncated) h.truncated();
        h.status(`subscribed; server at seq ${op.seq}, resumed after seq ${options.cursor()}`, 'ok');
      } else if (op.op === 'ack' && op.ref) pending.get(op.ref)?.resolve(op.seq!);
      else if (op.op === 'error') {
        if (op.ref && pending.has(op.ref)) pending.get(op.ref)!.reject(new Error(`${op.code}: ${op.message}`));
        else h.status(`${op.code}: ${op.message}`, 'bad');
      }
      if (op.ref) pending.delete(op.ref);
    };
    socket.onclose = (e: CloseEvent) => {
      for (const p of pending.values()) p.reject(new Error('connection closed'));
      pending.clear();
      if (closed) return;
      const wait = RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]!;
      h.status(`connection lost (close ${e.code}${e.reason ? ` ${e.reason}` : ''}); reconnecting in ${wait / 1000} s from seq ${options.cursor()}`, 'bad');
      timer = setTimeout(open, wait);
    };
  };
  open();
  return {
    name: 'websocket',
    publish(command) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return publishHttp(options, command);
      const ref = `r${++refs}`;
      const socket = ws;
      return new Promise<number>((resolve, reject) => {
        pending.set(ref, { resolve, reject });
        socket.send(JSON.stringify({ op: 'publish', group: options.group, event: command, ref }));
      });
    },
    close() {
      closed = true;
      clearTimeout(timer);
      ws?.close(1000, 'client left');
    },
  };
}

/** STOMP: @stomp/stompjs's Client; every (re)connect subscribes with `since` = the cursor. */
export function stomp(options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  let closed = false;
  let receipts = 0;
  const h = guarded(handlers, () => closed);
  const client = new Client({
    brokerURL: `${wsOrigin()}/stomp?${identity(options, false)}`,
    // The token is the CONNECT passcode (the login is ignored by the server: the token names the user).
    connectHeaders: options.token ? { login: options.user, passcode: options.token } : {},
    reconnectDelay: 1000,
    heartbeatIncoming: 10_000,
    heartbeatOutgoing: 10_000,
    debug: () => {},
  });
  client.webSocketFactory = () => {
    const socket = new WebSocket(client.brokerURL!, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
    socket.addEventListener('message', (m: MessageEvent) => h.bytes(sizeOf(m.data)));
    return socket;
  };
  client.onConnect = () => {
    const since = options.cursor();
    const receipt = `sub-${++receipts}`;
    client.watchForReceipt(receipt, (frame) => {
      if (frame.headers.truncated === 'true') h.truncated();
      h.status(`subscribed; server at seq ${frame.headers.seq}, resumed after seq ${since}`, 'ok');
    });
    client.subscribe(
      `/topic/groups.${options.group}`,
      (m: IMessage) => h.event(JSON.parse(m.body) as ArenaEvent),
      { since: String(since), receipt },
    );
  };
  client.onStompError = (frame) => h.status(`${frame.headers.message}: ${frame.body}`, 'bad');
  client.onWebSocketClose = (e: CloseEvent) => {
    if (!closed) h.status(`connection lost (close ${e.code}); reconnecting from seq ${options.cursor()}`, 'bad');
  };
  client.activate();
  return {
    name: 'stomp',
    publish(command) {
      if (!client.connected) return publishHttp(options, command);
      const receipt = `send-${++receipts}`;
      return new Promise<number>((resolve, reject) => {
        // A refused SEND gets an ERROR frame and a closed session, never a receipt: give up after a while.
        const timer = setTimeout(() => reject(new Error('no receipt for the SEND')), RECEIPT_WAIT_MS);
        client.watchForReceipt(receipt, (frame) => {
          clearTimeout(timer);
          resolve(Number(frame.headers.seq));
        });
        client.publish({ destination: `/app/groups/${options.group}`, body: JSON.stringify(command), headers: { 'content-type': 'application/json', receipt } });
      });
    },
    close() {
      closed = true;
      void client.deactivate();
    },
  };
}
