import { describe, expect, it } from '@jest/globals';
import cassandra from 'cassandra-driver';
import { classifySinkError, sinkErrorReason } from './sink-errors.js';

const codes = cassandra.types.responseErrorCodes;
const mysqlError = (errno: number, code: string) => Object.assign(new Error(code), { errno, code });

describe('classifySinkError', () => {
  it('a message Cassandra or MySQL can never store is permanent', () => {
    expect(classifySinkError(new cassandra.errors.ResponseError(codes.invalid, 'Batch too large'))).toBe('permanent');
    expect(classifySinkError(new RangeError('value out of range for int'))).toBe('permanent');
    expect(classifySinkError(mysqlError(1264, 'ER_WARN_DATA_OUT_OF_RANGE'))).toBe('permanent');
    expect(classifySinkError(mysqlError(1406, 'ER_DATA_TOO_LONG'))).toBe('permanent');
  });

  it('a sink that is down, slow, overloaded or misconfigured is transient', () => {
    for (const code of [codes.unavailableException, codes.overloaded, codes.writeTimeout, codes.serverError]) {
      expect(classifySinkError(new cassandra.errors.ResponseError(code, 'x'))).toBe('transient');
    }
    expect(
      classifySinkError(new cassandra.errors.ResponseError(codes.invalid, 'unconfigured table orders_by_id')),
    ).toBe('transient');
    expect(classifySinkError(new cassandra.errors.NoHostAvailableError({}))).toBe('transient');
    expect(classifySinkError(new cassandra.errors.OperationTimedOutError('timeout'))).toBe('transient');
    expect(classifySinkError(mysqlError(1213, 'ER_LOCK_DEADLOCK'))).toBe('transient');
    expect(classifySinkError(mysqlError(1205, 'ER_LOCK_WAIT_TIMEOUT'))).toBe('transient');
    expect(classifySinkError(Object.assign(new Error('reset'), { code: 'ECONNRESET', errno: -104 }))).toBe('transient');
    expect(classifySinkError(new Error('Query inactivity timeout'))).toBe('transient');
    expect(classifySinkError('weird')).toBe('transient');
  });

  it('names the step in the reason', () => {
    expect(sinkErrorReason(new Error('Batch too large'), 'cassandra')).toBe(
      'cassandra rejected the message: Batch too large',
    );
  });
});
