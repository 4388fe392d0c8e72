import { loadConfig, ConfigError } from './config.js';
import { buildApp } from './app.js';

// Entry point: configuration from env and flags -> buildApp() -> listen; signals -> app.close().
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`realtime-arena: bad configuration: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const app = await buildApp(config).catch((err: unknown) => {
    console.error(`realtime-arena: cannot start: ${(err as Error).message}`);
    process.exit(2);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // Streams are closed with a reconnect hint by each transport's preClose hook; this bounds the wait.
    const force = setTimeout(() => process.exit(0), config.shutdownGraceMs + 2000);
    force.unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Node's default accept backlog (511) overflows in a reconnect storm of thousands of clients (measured
  // by the bench's reconnect scenario); the kernel still caps it at net.core.somaxconn.
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = (port: number) => `http://${shown}:${port}`;
  try {
    await app.listen({
      port: config.port,
      host: config.host,
      backlog: 4096,
      // Fastify's own "listening" line, made the one start-up line a person needs.
      listenTextResolver: (address) => {
        const port = Number(new URL(address).port);
        return `realtime-arena listening on ${address} · broker ${config.broker} · auth ${config.authSecret ? 'on' : 'off'} · demo ${url(port)}/ · compare ${url(port)}/compare · metrics ${url(port)}/metrics`;
      },
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') console.error(`realtime-arena: port ${config.port} is in use; set PORT`);
    else if (code === 'EADDRNOTAVAIL') console.error(`realtime-arena: cannot listen on ${config.host}; set HOST`);
    else console.error(`realtime-arena: cannot listen: ${(err as Error).message}`);
    process.exit(2);
  }
}

void main();
