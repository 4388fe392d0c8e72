// The broker contract against the embedded broker.
import { MemoryBroker } from '../../src/broker/memory.js';
import { brokerContract } from './contract.js';

brokerContract('memory', async (options) => new MemoryBroker(options));
