/**
 * Where the apiserver is and how to authenticate: @kubernetes/client-node's KubeConfig, from a
 * kubeconfig file when one is given, else its default chain ($KUBECONFIG, ~/.kube/config, the
 * in-cluster service account).
 */
import { KubeConfig } from '@kubernetes/client-node';

export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) {
    throw new Error(
      `no cluster in ${path ?? 'the default kubeconfig'} (context ${kubeConfig.getCurrentContext() || 'unset'})`,
    );
  }
  return kubeConfig;
}
