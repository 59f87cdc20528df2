/** A UTC time to the second (`2024-05-01T12:00:00Z`), as Kubernetes writes `metav1.Time`. */
export const isoSeconds = (at: Date | number): string => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
