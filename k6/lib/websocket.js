// The one line that names k6's WebSocket module. k6 >= 1.6 ships it as `k6/websockets`; k6 0.50
// to 1.5 ship the same API as `k6/experimental/websockets`: to run websocket.js, stomp.js and
// compare.js there, change the import below to that name (see k6/README.md, "Which k6").
export { WebSocket } from 'k6/websockets';

// The WHATWG readyState values. k6 defines no static constants on its WebSocket constructor
// (`WebSocket.OPEN` is undefined there, although @types/k6 declares it), so scripts compare
// `ws.readyState` with these.
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;
