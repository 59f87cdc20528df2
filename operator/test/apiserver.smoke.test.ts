import { afterAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { testKubeconfigPath, uniqueName } from '@salespipeline/shared/testing';

describe('kube-apiserver (real, envtest style)', () => {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(testKubeconfigPath());
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const namespace = uniqueName('smoke').replace(/_/g, '-');

  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('reports the version it was built as', async () => {
    const version = await kubeconfig.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
  });

  it('creates a namespace and a ConfigMap and reads them back', async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'greeting' }, data: { hello: 'world' } },
    });
    const ns = await core.readNamespace({ name: namespace });
    expect(ns.status?.phase).toBe('Active');
    const cm = await core.readNamespacedConfigMap({ name: 'greeting', namespace });
    expect(cm.data).toEqual({ hello: 'world' });
  });
});
