// text/event-stream parsing per the WHATWG HTML "server-sent events" algorithm. Pure: no k6
// imports. Stock k6 hands us a whole response body (http.get), but the parser is incremental so
// it also serves a chunked reader: feed it pieces, it keeps the partial line and partial event.

/**
 * @typedef {{ id: string, event: string, data: string }} SseEvent
 *   `id` is the last event ID in force when the event was dispatched (spec: it persists);
 *   `event` defaults to "message"; `data` joins multiple data lines with "\n".
 */

export class SseParser {
  constructor() {
    this.line = '';
    this.afterCR = false;
    this.started = false;
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    this.lastEventId = '';
    /** @type {number | undefined} */
    this.retry = undefined;
    this.comments = 0;
  }

  /** Feed a chunk; returns the events completed by it. @param {string} chunk @returns {SseEvent[]} */
  push(chunk) {
    /** @type {SseEvent[]} */
    const out = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 && this.afterCR && i === start && this.line === '') {
        // The LF of a CRLF split across chunks (or directly after CR): already ended the line.
        this.afterCR = false;
        start = i + 1;
        continue;
      }
      this.afterCR = false;
      if (c === 10 || c === 13) {
        this.line += text.slice(start, i);
        this.processLine(this.line, out);
        this.line = '';
        if (c === 13) {
          if (i + 1 < text.length) {
            if (text.charCodeAt(i + 1) === 10) i++;
          } else {
            this.afterCR = true;
          }
        }
        start = i + 1;
      }
    }
    this.line += text.slice(start);
    return out;
  }

  /**
   * End of stream. Per the spec an event not yet ended by a blank line is discarded: the client
   * resumes from the last complete id, so the server sends it again.
   * @returns {SseEvent[]}
   */
  end() {
    this.line = '';
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    return [];
  }

  /** @param {string} line @param {SseEvent[]} out */
  processLine(line, out) {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      this.comments++;
      return;
    }
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data = this.hasData ? this.data + '\n' + value : value;
        this.hasData = true;
        break;
      case 'id':
        if (value.indexOf('\0') < 0) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retry = parseInt(value, 10);
        break;
      default:
        // Unknown fields are ignored, as the spec says.
        break;
    }
  }

  /** @param {SseEvent[]} out */
  dispatch(out) {
    if (this.hasData) {
      out.push({ id: this.lastEventId, event: this.eventType || 'message', data: this.data });
    }
    this.data = '';
    this.hasData = false;
    this.eventType = '';
  }
}

/**
 * Parse a complete body (what stock k6's http.get returns once the server ends the stream).
 * @param {string} body
 * @returns {{ events: SseEvent[], lastEventId: string, retry: number | undefined, comments: number }}
 */
export function parseSse(body) {
  const p = new SseParser();
  const events = p.push(body);
  p.end();
  return { events, lastEventId: p.lastEventId, retry: p.retry, comments: p.comments };
}
