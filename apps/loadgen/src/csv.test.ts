import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from '@jest/globals';
import { validateOrder } from '@salespipeline/shared';
import { mapStatus, parseDate, readCsvOrders, type CsvStats } from './csv.js';

const CSV = `item_id,status,created_at,sku,price,qty_ordered,grand_total,increment_id,category_name_1,sales_commission_code,discount_amount,payment_method,Working Date,BI Status,MV,Year,Month,Customer Since,M-Y,FY,Customer ID
211131,complete,7/1/2016,kreations_YI 06-L,1950,1,1950,100147443,Women's Fashion,\\N,0,cod,7/1/2016,#REF!,"1,950",2016,7,2016-7,7-2016,FY17,1
211133,canceled,7/1/2016,Ego_UP0017-999-MR0,240,1,240,100147444,Beauty & Grooming,\\N,0,cod,7/1/2016,Gross,240,2016,7,2016-7,7-2016,FY17,2
211134,canceled,7/1/2016,kcc_krone deal,2450.333,2,4900,100147444,Soghaat,\\N,10.5,cod,7/1/2016,Gross,"2,450",2016,7,2016-7,7-2016,FY17,2
211135,paid,7/1/2016,bad,-1,1,0,100147445,\\N,\\N,0,Easypay,7/1/2016,Gross,0,2016,7,2016-7,7-2016,FY17,3
`;

describe('readCsvOrders', () => {
  const file = `${mkdtempSync(`${tmpdir()}/csv-`)}/seed.csv`;
  writeFileSync(file, CSV);

  it('groups lines by increment_id into valid orders, keeping the CSV dates', async () => {
    const stats: CsvStats = { rows: 0, skippedRows: 0, orders: 0 };
    const orders = [];
    for await (const o of readCsvOrders(file, { retime: false, idPrefix: 'r-', stats })) orders.push(o);
    expect(orders.map((o) => o.order_id)).toEqual(['r-100147443', 'r-100147444']);
    expect(orders[1]).toEqual(
      expect.objectContaining({
        created_at: '2016-07-01T00:00:00.000Z',
        status: 'canceled',
        customer_id: '2',
        payment_method: 'cod',
        grand_total: 240 + 2450.33 * 2 - 10.5,
      }),
    );
    expect(orders[1]!.items.map((i) => i.category)).toEqual(['Beauty & Grooming', 'Soghaat']);
    expect(stats).toEqual({ rows: 4, skippedRows: 1, orders: 2 });
    for (const o of orders) expect(validateOrder(o).ok).toBe(true);
  });

  it('re-times orders to now when asked', async () => {
    const before = Date.now();
    for await (const o of readCsvOrders(file, { retime: true, idPrefix: '' })) {
      expect(Date.parse(o.created_at)).toBeGreaterThanOrEqual(before);
    }
  });

  it('maps statuses and dates', () => {
    expect(mapStatus('paid')).toBe('processing');
    expect(mapStatus('order_refunded')).toBe('order_refunded');
    expect(mapStatus('weird')).toBe('pending');
    expect(parseDate('12/31/2017')).toBe(Date.UTC(2017, 11, 31));
    expect(parseDate('2017-12-31 10:00:00')).toBe(Date.UTC(2017, 11, 31, 10));
    expect(parseDate('nope')).toBeUndefined();
  });
});
