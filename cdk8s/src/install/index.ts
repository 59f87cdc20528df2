export * from './operator.js';
export * from './samples.js';
export { chartDir, installFiles, operatorRules } from './files.js';
