import { MemoryPresence } from '../../src/broker/presence-memory.js';
import { presenceContract } from './presence-contract.js';

// One process holds its own presence: a second instance (the contract's reader after close) starts empty.
presenceContract('memory', async () => new MemoryPresence());
