import { describe, expect, it } from '@jest/globals';
import { testPrometheusUrl, waitFor } from '@salespipeline/shared/testing';

describe('Prometheus (real server)', () => {
  const url = testPrometheusUrl();

  it('is ready and answers a query about its own scrape', async () => {
    const ready = await fetch(`${url}/-/ready`);
    expect(ready.status).toBe(200);
    type QueryResponse = { status: string; data: { result: Array<{ value: [number, string] }> } };
    // Right after a cold start the first scrape may not have happened yet.
    const body = await waitFor(
      async () => {
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('up{job="prometheus"}')}`);
        const json = (await res.json()) as QueryResponse;
        return json.data.result.length > 0 ? json : undefined;
      },
      { what: 'the first self-scrape' },
    );
    expect(body.status).toBe('success');
    expect(body.data.result[0]!.value[1]).toBe('1');
  });
});
