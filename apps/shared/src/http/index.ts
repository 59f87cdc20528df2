export * from './app.js';
export * from './errors.js';
export * from './server.js';
export * from './tail.js';
export * from './timing.js';
