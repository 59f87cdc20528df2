/** An OpenAPI 3.1 description of the dashboard's JSON API, served at /api/docs. */

const range = {
  name: 'range',
  in: 'query',
  required: false,
  schema: { type: 'string', enum: ['15m', '1h', '24h', 'all'], default: '1h' },
  description: 'Window ending with the still-open UTC minute; `all` is everything aggregated',
};

const row = {
  type: 'object',
  required: ['value', 'orders', 'items', 'revenue'],
  properties: {
    value: { type: 'string' },
    orders: { type: 'integer' },
    items: { type: 'integer' },
    revenue: { type: 'number', description: 'Net revenue, 2 decimals' },
  },
};

const kpis = {
  type: 'object',
  properties: {
    orders: { type: 'integer' },
    revenue: { type: 'number' },
    items: { type: 'integer' },
    discount: { type: 'number' },
    averageOrderValue: { type: ['number', 'null'] },
    refundCancelRate: { type: ['number', 'null'], description: 'Share 0..1 of canceled/refunded orders' },
  },
};

const errors = {
  '400': { description: 'Invalid parameter: {error: "invalid_parameter", message}' },
  '503': { description: 'Database unavailable: {error: "unavailable", message}; Retry-After set' },
};

const get = (summary: string, parameters: object[], schema: object) => ({
  get: {
    summary,
    parameters,
    responses: { '200': { description: 'OK', content: { 'application/json': { schema } } }, ...errors },
  },
});

/** One literal document, read top to bottom like the page it describes: longer than a function should be, on purpose. */
export function apiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'SalesPipeline dashboard API',
      version: '1',
      description:
        'Read-only sales figures from the per-minute aggregates (MySQL) and the raw orders (Cassandra). ' +
        'Figures are at most one poll interval old. Money is in the orders’ currency units.',
    },
    paths: {
      '/api/summary': get('KPIs of the range and the change against the previous period', [range], {
        type: 'object',
        properties: {
          range: { type: 'string' },
          window: { type: 'object' },
          kpis,
          previous: { oneOf: [kpis, { type: 'null' }] },
          change: { type: ['object', 'null'], description: 'Relative change per KPI; refundCancelRate in points' },
        },
      }),
      '/api/timeseries': get('Orders and revenue per bucket (1 minute; `all`: larger buckets)', [range], {
        type: 'object',
        properties: {
          bucketSeconds: { type: 'integer' },
          openMinute: { type: 'string', format: 'date-time' },
          points: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                t: { type: 'string', format: 'date-time' },
                orders: { type: 'integer' },
                items: { type: 'integer' },
                revenue: { type: 'number' },
                open: { type: 'boolean', description: 'The bucket still receiving orders' },
              },
            },
          },
        },
      }),
      '/api/breakdown': get(
        'Orders, items and revenue by value of a dimension',
        [
          range,
          {
            name: 'dim',
            in: 'query',
            schema: { type: 'string', enum: ['status', 'category', 'payment_method', 'sku'], default: 'status' },
          },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            description: 'sku only',
          },
        ],
        { type: 'object', properties: { dim: { type: 'string' }, rows: { type: 'array', items: row } } },
      ),
      '/api/top-products': get(
        'Top SKUs by revenue or by quantity',
        [
          range,
          { name: 'by', in: 'query', schema: { type: 'string', enum: ['revenue', 'quantity'], default: 'revenue' } },
        ],
        { type: 'object', properties: { by: { type: 'string' }, rows: { type: 'array', items: row } } },
      ),
      '/api/latest-orders': get('The newest orders by event time (Cassandra)', [], {
        type: 'object',
        properties: { orders: { type: 'array', items: { type: 'object' } } },
      }),
      '/api/status': get('Whether MySQL and Cassandra could be read, and connected clients', [], { type: 'object' }),
      '/api/stream': {
        get: {
          summary:
            'Server-Sent Events: `status` ({mysql, cassandra, error, since}) on connect and on change; `snapshot` ' +
            '(summary + timeseries + breakdowns + topProducts + latestOrders of the range) on connect and whenever it changes',
          parameters: [range],
          responses: { '200': { description: 'text/event-stream' } },
        },
      },
    },
  };
}
