/**
 * Expands the Grafana MySQL data source macros the sales board uses, as Grafana's backend does
 * (pkg/tsdb/mysql/macros.go), so tests can run the board's SQL against a real MariaDB. Grafana's
 * connections run with time_zone = '+00:00'; so must the connection the expanded SQL runs on.
 */

export interface MacroContext {
  from: Date;
  to: Date;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

const interval = (raw: string): number => {
  const m = /^'?(\d+)(s|m|h|d)'?$/.exec(raw.trim());
  if (!m) throw new Error(`unsupported interval ${raw}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'];
};

export function expandMysqlMacros(sql: string, ctx: MacroContext): string {
  const expanded = sql.replace(/\$__(\w+)\(([^)]*)\)/g, (_all, name: string, rawArgs: string) => {
    const args = rawArgs.split(',').map((a) => a.trim());
    switch (name) {
      case 'timeFilter':
        return `${args[0]} BETWEEN FROM_UNIXTIME(${seconds(ctx.from)}) AND FROM_UNIXTIME(${seconds(ctx.to)})`;
      case 'unixEpochFilter':
        return `${args[0]} >= ${seconds(ctx.from)} AND ${args[0]} <= ${seconds(ctx.to)}`;
      case 'timeGroup':
      case 'timeGroupAlias': {
        const s = interval(args[1] ?? '');
        const group = `UNIX_TIMESTAMP(${args[0]}) DIV ${s} * ${s}`;
        return name === 'timeGroupAlias' ? `${group} AS "time"` : group;
      }
      case 'timeFrom':
        return `FROM_UNIXTIME(${seconds(ctx.from)})`;
      case 'timeTo':
        return `FROM_UNIXTIME(${seconds(ctx.to)})`;
      default:
        throw new Error(`macro $__${name} is not expanded here`);
    }
  });
  return expanded;
}
