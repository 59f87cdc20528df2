export * from './schema.js';
export * from './money.js';
export * from './validate.js';
export * from './openapi.js';
export * from './storage.js';
export * from './topics.js';
export * from './replication.js';
export * from './wire.js';
