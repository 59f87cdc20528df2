import { describe, expect, it } from '@jest/globals';
import { ConfigError, configHelp, loadConfig, setting } from './config.js';

const spec = {
  port: setting.port({ env: 'PORT', default: 8080, doc: 'HTTP port' }),
  brokers: setting.list({ env: 'BROKERS', doc: 'brokers' }),
  mode: setting.oneOf({ env: 'MODE', values: ['a', 'b'] as const, default: 'a', doc: 'mode' }),
  ratio: setting.number({ env: 'RATIO', min: 0, max: 1, default: 0.5, doc: 'ratio' }),
  token: setting.string({ env: 'TOKEN', secret: true, doc: 'token', pattern: /^[a-z]+$/ }),
  verbose: setting.bool({ env: 'VERBOSE', default: false, doc: 'verbose' }),
};

describe('loadConfig', () => {
  it('parses values and applies defaults', () => {
    const config = loadConfig(spec, { BROKERS: 'a:1, b:2', TOKEN: 'abc', VERBOSE: 'yes' });
    expect(config).toEqual({ port: 8080, brokers: ['a:1', 'b:2'], mode: 'a', ratio: 0.5, token: 'abc', verbose: true });
  });

  it('reports every bad variable at once, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig(spec, { PORT: '70000', MODE: 'c', RATIO: 'x', TOKEN: 'SECRET-1' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toEqual([
      'PORT: must be an integer between 0 and 65535 (got "70000")',
      'BROKERS: is required (brokers)',
      'MODE: must be one of a, b (got "c")',
      'RATIO: must be a number between 0 and 1 (got "x")',
      'TOKEN: must match ^[a-z]+$',
    ]);
    expect(message).not.toContain('SECRET-1');
  });

  it('rejects numbers that are not integers where integers are asked for', () => {
    expect(() => loadConfig({ n: setting.int({ env: 'N', doc: 'n' }) }, { N: '1.5' })).toThrow('N: must be an integer');
  });

  it('renders help from the same spec', () => {
    const help = configHelp(spec);
    expect(help).toContain('PORT');
    expect(help).toContain('default "8080"');
    expect(help).toContain('TOKEN');
    expect(help).toContain('required');
    const optional = configHelp({ user: setting.optionalString({ env: 'USER_NAME', doc: 'user', secret: true }) });
    expect(optional).toContain('unset by default');
  });
});
