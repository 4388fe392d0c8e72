// The machine's RabbitMQ for the relay suites, with its STOMP plugin: started (`rabbitmq-server
// -detached`) when it is not running and the plugin enabled when it is off. Tests never stop it — other
// suites share it — they kill its connections instead, and use group names unique to the run.
import { execFile } from 'node:child_process';
import { Socket, connect } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The relay URL tests use (RabbitMQ's default guest account only logs in from loopback). */
export const RELAY_URL = 'stomp://guest:guest@127.0.0.1:61613';

/** A suffix for group names, unique to this test process (the broker's topics are shared). */
export const RUN_ID = `${process.pid.toString(36)}${Date.now().toString(36)}`;

function listening(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(ok: boolean) {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    }
    socket.once('error', () => done(false));
    socket.once('connect', () => done(true));
  });
}

async function waitFor(port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await listening(port)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function prepare(): Promise<string | false> {
  if (await listening(61613)) return false;
  const installed = await run('sh', ['-c', 'command -v rabbitmq-server']).then(() => true, () => false);
  if (!installed) return 'RabbitMQ is not installed (Debian package rabbitmq-server): stomp-relay tests skipped';
  if (!(await listening(5672))) {
    await run('rabbitmq-server', ['-detached']).catch(() => undefined);
    if (!(await waitFor(5672, 60_000))) throw new Error('rabbitmq-server -detached: no listener on 5672 within 60 s');
  }
  await run('rabbitmq-plugins', ['enable', 'rabbitmq_stomp'], { timeout: 60_000 });
  if (!(await waitFor(61613, 30_000))) throw new Error('rabbitmq_stomp enabled but nothing listens on 61613 within 30 s');
  return false;
}

/** A reason to skip the relay tests (RabbitMQ not installed), else false once STOMP answers on 61613. */
export const noRabbitStomp: string | false = await prepare();

/**
 * Closes this process's STOMP connections from the broker's side, as `rabbitmqctl close_all_connections`
 * would, but only ours: suites running in parallel share the broker. RabbitMQ 3.x lists STOMP sessions
 * apart from AMQP connections (`close_connection` cannot name them), so this closes each session's
 * direct connection by its name (`<client ip:port> -> <server ip:port>`).
 * @returns how many were closed
 */
export async function closeOurRabbitConnections(): Promise<number> {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const sockets = handles.filter((h): h is Socket => h instanceof Socket && h.remotePort === 61613);
  let closed = 0;
  for (const socket of sockets) {
    const name = `${socket.localAddress}:${socket.localPort} -> ${socket.remoteAddress}:${socket.remotePort}`;
    const expr = `length([amqp_connection:close(P) || P <- rabbit_direct:list(), {dictionary, D} <- [erlang:process_info(P, dictionary)], proplists:get_value(process_name, D) =:= {amqp_gen_connection, <<"${name}">>}]).`;
    const { stdout } = await run('rabbitmqctl', ['eval', expr], { timeout: 30_000 });
    closed += Number(stdout.trim()) || 0;
  }
  return closed;
}
