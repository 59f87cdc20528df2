import { describe, expect, it } from '@jest/globals';
import { operatorInstallObjects } from '@salespipeline/cdk8s';
import { ConfigError } from '@salespipeline/shared';
import { loadOperatorConfig, operatorSettings } from './config.js';

describe('operator configuration', () => {
  it('accepts the default leader election timings', () => {
    const config = loadOperatorConfig({});
    expect(config.renewDeadlineSeconds).toBeLessThan(config.leaseDurationSeconds);
  });

  it.each([
    [
      { LEASE_DURATION_SECONDS: '10', RENEW_DEADLINE_SECONDS: '10' },
      /renew deadline \(10 s\) must be shorter than the lease duration \(10 s\)/,
    ],
    [{ LEASE_DURATION_SECONDS: '15', RENEW_DEADLINE_SECONDS: '20' }, /renew deadline \(20 s\) must be shorter/],
    [
      { RENEW_DEADLINE_SECONDS: '2', RETRY_PERIOD_SECONDS: '2' },
      /retry period \(2 s\) × 1.2 must be shorter than the renew deadline \(2 s\)/,
    ],
  ])('refuses inconsistent leader election timings %j with a clear error', (env, message) => {
    let error: unknown;
    try {
      loadOperatorConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
    expect((error as ConfigError).message).toMatch(/RENEW_DEADLINE_SECONDS/);
  });

  it('the operator Deployment of the install manifests sets known env only', () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const deployment = operatorInstallObjects().find((o) => o.kind === 'Deployment') as any;
    const c = deployment.spec.template.spec.containers[0];
    const known = new Set(Object.values(operatorSettings).map((s) => s.env));
    known.add('LOG_LEVEL');
    for (const e of c.env) expect(known).toContain(e.name);
  });
});
