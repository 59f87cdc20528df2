/**
 * What every pod of the pipeline shares: where it runs (spec.placement) and the Pod Security
 * `restricted` profile (non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp,
 * read-only root filesystem with an emptyDir wherever the process writes).
 */
import type { k8s } from 'cdk8s-plus-33';
import type { Context } from './context.js';

export function placement(ctx: Context): Pick<k8s.PodSpec, 'nodeSelector' | 'tolerations'> {
  const { nodeSelector, tolerations } = ctx.spec.placement;
  return {
    ...(nodeSelector && Object.keys(nodeSelector).length > 0 ? { nodeSelector: { ...nodeSelector } } : {}),
    // Fresh plain objects: cdk8s drops fields of objects it does not recognise as plain (another realm's).
    ...(tolerations && tolerations.length > 0 ? { tolerations: tolerations.map((t) => ({ ...t })) } : {}),
  };
}

/** The pod-level half of `restricted`, running as UID (and group) `uid`. */
export const restrictedPod = (uid: number): k8s.PodSecurityContext => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  fsGroup: uid,
  seccompProfile: { type: 'RuntimeDefault' },
});

/** The container-level half of `restricted`. */
export const restrictedContainer: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/** Writable scratch folders on a read-only root filesystem: one emptyDir volume each. */
export function scratchDirs(dirs: Record<string, string>): { volumes: k8s.Volume[]; volumeMounts: k8s.VolumeMount[] } {
  const entries = Object.entries(dirs);
  return {
    volumes: entries.map(([name]) => ({ name, emptyDir: {} })),
    volumeMounts: entries.map(([name, mountPath]) => ({ name, mountPath })),
  };
}
