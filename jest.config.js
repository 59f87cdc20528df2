// One jest run over every workspace, in ESM mode (node --experimental-vm-modules; see package.json).
// Unit tests sit beside the code (src/**/*.test.ts) and need no service; integration tests live in a
// test/ folder per package and talk to the real local services, which they never skip.
const workspaces = {
  '@salespipeline/shared/testing': 'apps/shared/src/testing/index.ts',
  '@salespipeline/shared': 'apps/shared/src/index.ts',
  '@salespipeline/ingest/testing': 'apps/ingest/src/testing/index.ts',
  '@salespipeline/processor/testing': 'apps/processor/src/testing/index.ts',
  '@salespipeline/dashboard/testing': 'apps/dashboard/src/testing/index.ts',
  '@salespipeline/cdk8s': 'cdk8s/src/index.ts',
  '@salespipeline/operator/testing/cluster': 'operator/src/testing/cluster.ts',
  '@salespipeline/operator/testing': 'operator/src/testing/index.ts',
  '@salespipeline/operator': 'operator/src/index.ts',
};

const base = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true } },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    ...Object.fromEntries(Object.entries(workspaces).map(([name, path]) => [`^${name}$`, `<rootDir>/${path}`])),
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/.local/'],
  // The local services' state (.local) holds image layers and containers' files: not modules of ours.
  modulePathIgnorePatterns: ['<rootDir>/.local/'],
  rootDir: import.meta.dirname,
};

export default {
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/**/src/**/*.test.ts'] },
    { ...base, displayName: 'integration', testMatch: ['<rootDir>/**/test/**/*.test.ts'], slowTestThreshold: 30 },
  ],
  // Global options: jest ignores them inside `projects`.
  testTimeout: 120_000,
  maxWorkers: 2,
};
