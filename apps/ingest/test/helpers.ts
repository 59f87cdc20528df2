// The ingest's fixtures are its exported test kit; re-exported for this package's tests.
export * from '../src/testing/index.js';
