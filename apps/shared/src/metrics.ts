import { collectDefaultMetrics, Registry } from 'prom-client';

/** A registry per process: Node's default process metrics plus the app's own, all labelled app=<name>. */
export function createRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}
