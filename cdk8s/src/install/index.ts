export * from './operator.js';
export * from './samples.js';
