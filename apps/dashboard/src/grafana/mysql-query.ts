/**
 * A MySQL data source query for the Grafana foundation SDK (which ships no MySQL query type): the
 * SDK's documented way to add a query type is a Dataquery variant with its builder.
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/dashboard';

export interface MysqlQuery {
  refId?: string;
  hide?: boolean;
  datasource?: DataSourceRef;
  rawSql: string;
  format: 'time_series' | 'table';
  rawQuery: true;
  editorMode: 'code';
  _implementsDataqueryVariant(): void;
}

export class MysqlQueryBuilder implements Builder<Dataquery> {
  private readonly internal: MysqlQuery;

  constructor(rawSql: string, format: MysqlQuery['format'] = 'time_series') {
    this.internal = {
      rawSql: rawSql.replace(/\s+/g, ' ').trim(),
      format,
      rawQuery: true,
      editorMode: 'code',
      _implementsDataqueryVariant() {},
    };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(ref: DataSourceRef): this {
    this.internal.datasource = ref;
    return this;
  }

  build(): MysqlQuery {
    return this.internal;
  }
}
