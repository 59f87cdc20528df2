import { describe, expect, it } from '@jest/globals';
import { isoSeconds } from './time.js';

describe('isoSeconds', () => {
  it('drops the milliseconds of a Date or an epoch time', () => {
    expect(isoSeconds(new Date('2024-05-01T12:00:00.987Z'))).toBe('2024-05-01T12:00:00Z');
    expect(isoSeconds(Date.UTC(2024, 4, 1, 12, 0, 1, 5))).toBe('2024-05-01T12:00:01Z');
  });
});
