export * from './config.js';
export * from './infra.js';
export * from './logger.js';
export * from './metrics.js';
export * from './ops.js';
export * from './process.js';
export * from './clients.js';
export * from './order/index.js';
