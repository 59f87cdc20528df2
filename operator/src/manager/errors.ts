/**
 * A reconcile error that retrying cannot fix (controller-runtime's reconcile.TerminalError, KafkaJS's
 * `retriable: false`): an invalid spec, a child the apiserver rejects. The controller records it
 * without backoff and hands it to one hook, which reports it (in the object's status).
 */
export class TerminalError extends Error {
  constructor(
    /** A CamelCase reason, as in a condition. */
    readonly reason: string,
    message: string,
    /**
     * Look again after this long, without backoff: for a fix that no watch reports (a Secret the user
     * creates, a CRD installed). Unset: only a change of the object brings it back.
     */
    readonly recheckAfterMs?: number,
  ) {
    super(message);
    this.name = 'TerminalError';
  }
}
