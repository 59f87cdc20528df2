/** What makes a SalesPipeline unusable until its spec (or the cluster) changes: terminal errors, reported in its status. */
import { InvalidSpecError, ownedKind } from '@salespipeline/cdk8s';
import type { KubeObject } from '../kube/objects.js';
import { isNotFound, KubeApiError } from '../kube/rest.js';
import { TerminalError } from '../manager/errors.js';

/** How long to wait before looking again at a fix no watch reports (a Secret, a CRD). */
export const recheckUnwatchedMs = 30_000;

/** The apiserver refused a child as invalid (e.g. requests above limits, an immutable StatefulSet field changed). */
export class ChildRejectedError extends TerminalError {
  constructor(obj: KubeObject, cause: KubeApiError) {
    super('ChildRejected', `${obj.kind} ${obj.metadata.name} rejected by the apiserver: ${cause.message}`);
    this.name = 'ChildRejectedError';
  }
}

/** An optional add-on's CRD (KEDA's ScaledObject) is not installed. */
export class CrdNotInstalledError extends TerminalError {
  constructor(obj: KubeObject) {
    super(
      'CRDNotInstalled',
      `${obj.kind} (${obj.apiVersion}) is not served: install its CRD (KEDA for autoscaling mode keda)`,
      recheckUnwatchedMs,
    );
    this.name = 'CrdNotInstalledError';
  }
}

/** 422 Invalid (and 400 BadRequest for malformed values): the object itself is wrong. */
const isInvalid = (err: unknown): err is KubeApiError =>
  err instanceof KubeApiError && (err.status === 422 || err.status === 400);

/** The error to throw for a child whose apply failed: terminal when only a spec change or a CRD install fixes it. */
export function applyError(obj: KubeObject, err: unknown): unknown {
  if (isInvalid(err)) return new ChildRejectedError(obj, err);
  if (isNotFound(err) && ownedKind(obj.apiVersion, obj.kind).optional) return new CrdNotInstalledError(obj);
  return err;
}

/** An invalid spec as a terminal error (its problems, each with its field path). */
export function invalidSpec(err: unknown): unknown {
  return err instanceof InvalidSpecError ? new TerminalError('InvalidSpec', err.problems.join('; ')) : err;
}
