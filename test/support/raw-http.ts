import http from 'node:http';

/** A raw streaming HTTP GET: the status, headers and every byte as it arrives. */
export interface RawStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Text received so far. */
  text(): string;
  /** Resolves when the server ends the response. */
  ended: Promise<void>;
  response: http.IncomingMessage;
  close(): void;
}

/** Opens `url` and resolves once the response headers arrived. */
export function openStream(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      const ended = new Promise<void>((done) => response.once('end', () => done()).once('close', () => done()));
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        text: () => Buffer.concat(chunks).toString('utf8'),
        ended,
        response,
        close: () => request.destroy(),
      });
    });
    request.once('error', reject);
  });
}
