/** Starts the floor server on HOST:PORT (the bench starts it as it starts the product; never `npm start`). */
import { buildFloor } from './index.js';

const app = await buildFloor();
await app.listen({ port: Number(process.env.PORT ?? 9700), host: process.env.HOST ?? '127.0.0.1' });
const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
