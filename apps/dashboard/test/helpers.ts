/** Fixtures of the dashboard's integration tests: a private MySQL database and keyspace, real sinks, real servers. */
// They are this package's test kit and the processor's (the stores as it writes them); re-exported for its tests.
export * from '../src/testing/index.js';
export { createStores, startStoresProcessor, type Stores } from '@salespipeline/processor/testing';

export const artifactsDir = new URL('../../../test-artifacts/', import.meta.url).pathname;
