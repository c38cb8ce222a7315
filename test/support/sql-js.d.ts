// The part of sql.js (SQLite compiled to WebAssembly) the Cloudflare API stand-in uses.
declare module 'sql.js' {
  export interface Statement {
    step(): boolean;
    getAsObject(): Record<string, unknown>;
    getColumnNames(): string[];
    free(): void;
  }
  export interface Database {
    iterateStatements(sql: string): Iterable<Statement>;
    exec(sql: string): { columns: string[]; values: unknown[][] }[];
    export(): Uint8Array;
    close(): void;
    getRowsModified(): number;
  }
  export interface SqlJsStatic {
    Database: new (data?: Uint8Array) => Database;
  }
  export default function initSqlJs(config?: { locateFile?: (file: string) => string }): Promise<SqlJsStatic>;
}
