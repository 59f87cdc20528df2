import { describe, expect, it } from '@jest/globals';
import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { kafkaLogCreator } from './kafka-log.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const entry = (level: logLevel, log: Record<string, unknown>) => ({
  namespace: 'Connection',
  level,
  label: 'x',
  log: { timestamp: 't', message: 'broker gone', ...log },
});

describe('kafkaLogCreator', () => {
  it("writes an entry at pino's level of the same name, its message as the message and its fields as fields", () => {
    const { logger, lines } = capture();
    const log = kafkaLogCreator(logger)(logLevel.WARN);
    log(entry(logLevel.WARN, { broker: 'b:9092' }));
    log(entry(logLevel.ERROR, {}));
    expect(lines.map((l) => [l.level, l.msg, l.broker])).toEqual([
      [40, 'broker gone', 'b:9092'],
      [50, 'broker gone', undefined],
    ]);
  });

  it('maps the levels as asked', () => {
    const { logger, lines } = capture();
    kafkaLogCreator(logger, () => 'debug')(logLevel.WARN)(entry(logLevel.ERROR, {}));
    expect(lines.map((l) => l.level)).toEqual([20]);
  });
});
