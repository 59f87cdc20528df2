/**
 * Configuration from environment variables, parsed and validated once at start-up.
 * A process declares its settings as a spec; `loadConfig` returns a typed object or throws a
 * ConfigError naming every bad variable, and `configHelp` renders the same spec for `--help`.
 */

export interface Setting<T> {
  env: string;
  doc: string;
  /** Raw default, parsed like a value from the environment. Absent means required. */
  default?: string;
  secret?: boolean;
  parse: (raw: string) => T;
  /** Shown in --help, e.g. "integer 1-65535". */
  kind: string;
}

export type ConfigSpec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

class ValueError extends Error {}
const fail = (message: string): never => {
  throw new ValueError(message);
};

interface Common {
  env: string;
  doc: string;
  default?: string | number | boolean | undefined;
  secret?: boolean;
}

const make = <T>(kind: string, opts: Common, parse: (raw: string) => T): Setting<T> => ({
  env: opts.env,
  doc: opts.doc,
  kind,
  parse,
  ...(opts.default === undefined ? {} : { default: String(opts.default) }),
  ...(opts.secret ? { secret: true } : {}),
});

const parseInteger = (raw: string, min: number, max: number): number => {
  const value = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) fail(`must be an integer between ${min} and ${max}`);
  return value;
};

const parseNumber = (raw: string, min: number, max: number): number => {
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) fail(`must be a number between ${min} and ${max}`);
  return value;
};

export const setting = {
  string: (opts: Common & { pattern?: RegExp }) =>
    make(opts.pattern ? `string matching ${opts.pattern.source}` : 'string', opts, (raw) => {
      if (raw === '') fail('must not be empty');
      if (opts.pattern && !opts.pattern.test(raw)) fail(`must match ${opts.pattern.source}`);
      return raw;
    }),
  /** A setting that may be unset; the value is then undefined. */
  optionalString: (opts: Common) =>
    make<string | undefined>('string, optional', { ...opts, default: '' }, (raw) => raw || undefined),
  int: (opts: Common & { min?: number; max?: number }) => {
    const min = opts.min ?? Number.MIN_SAFE_INTEGER;
    const max = opts.max ?? Number.MAX_SAFE_INTEGER;
    return make(`integer ${min}..${max}`, opts, (raw) => parseInteger(raw, min, max));
  },
  number: (opts: Common & { min?: number; max?: number }) => {
    const min = opts.min ?? -Number.MAX_VALUE;
    const max = opts.max ?? Number.MAX_VALUE;
    return make(`number ${min}..${max}`, opts, (raw) => parseNumber(raw, min, max));
  },
  port: (opts: Common) => make('port 0..65535', opts, (raw) => parseInteger(raw, 0, 65535)),
  bool: (opts: Common) =>
    make('true|false', opts, (raw) => {
      const lowered = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(lowered)) return true;
      if (['false', '0', 'no'].includes(lowered)) return false;
      return fail('must be true or false');
    }),
  list: (opts: Common & { min?: number }) =>
    make('comma-separated list', opts, (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length < (opts.min ?? 1)) fail(`must list at least ${opts.min ?? 1} item(s)`);
      return items;
    }),
  url: (opts: Common & { protocols: string[] }) =>
    make(`URL (${opts.protocols.join(', ')})`, opts, (raw) => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return fail('must be a URL');
      }
      if (!opts.protocols.includes(url.protocol.replace(/:$/, ''))) fail(`must use ${opts.protocols.join(' or ')}`);
      return raw;
    }),
  /** A value only `parse` understands; the message of what it throws is the problem reported. */
  parsed: <T>(opts: Common & { kind: string; parse: (raw: string) => T }) =>
    make(opts.kind, opts, (raw) => {
      try {
        return opts.parse(raw);
      } catch (err) {
        return fail(err instanceof Error ? err.message : String(err));
      }
    }),
  oneOf: <const T extends string>(opts: Common & { values: readonly T[] }) =>
    make(opts.values.join('|'), opts, (raw) => {
      if (!(opts.values as readonly string[]).includes(raw)) fail(`must be one of ${opts.values.join(', ')}`);
      return raw as T;
    }),
};

export function loadConfig<S extends ConfigSpec>(spec: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const result: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(spec)) {
    const raw = env[s.env] ?? s.default;
    if (raw === undefined) {
      problems.push(`${s.env}: is required (${s.doc})`);
      continue;
    }
    try {
      result[key] = s.parse(raw);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      const shown = s.secret ? '' : ` (got ${JSON.stringify(raw)})`;
      problems.push(`${s.env}: ${err.message}${shown}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as ConfigOf<S>;
}

/** The environment variables of a spec, for a process's --help. */
export function configHelp(spec: ConfigSpec): string {
  const rows = Object.values(spec).map((s) => {
    const def =
      s.default === undefined
        ? 'required'
        : s.default === ''
          ? 'unset by default'
          : s.secret
            ? 'has a default'
            : `default ${JSON.stringify(s.default)}`;
    return `  ${s.env.padEnd(30)} ${s.doc} [${s.kind}; ${def}]`;
  });
  return `Environment variables:\n${rows.join('\n')}`;
}
