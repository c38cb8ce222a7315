/**
 * The few Deno and `node:sqlite` APIs the Deno edition uses, declared for
 * `tsc` (npm run typecheck), which checks deno/ and test/deno/ with the
 * Worker's types. Deno itself has the full definitions; these only mirror
 * the signatures used here (Deno 2.9), so a wrong call fails the typecheck.
 */

interface ImportMeta {
  /** True when this module is the program's entry point (Deno). */
  main: boolean;
}

declare namespace Deno {
  interface TestContext {
    step(name: string, fn: (t: TestContext) => void | Promise<void>): Promise<boolean>;
  }
  interface TestDefinition {
    name: string;
    fn: (t: TestContext) => void | Promise<void>;
    sanitizeOps?: boolean;
    sanitizeResources?: boolean;
    ignore?: boolean;
  }
  function test(name: string, fn: (t: TestContext) => void | Promise<void>): void;
  function test(definition: TestDefinition): void;

  interface DirEntry {
    name: string;
    isFile: boolean;
    isDirectory: boolean;
    isSymlink: boolean;
  }
  function readDir(path: string): AsyncIterable<DirEntry>;
  function readTextFile(path: string): Promise<string>;
  function readTextFileSync(path: string): string;
  function readFile(path: string): Promise<Uint8Array<ArrayBuffer>>;
  function writeTextFile(path: string, data: string, options?: { mode?: number }): Promise<void>;
  function writeTextFileSync(path: string, data: string, options?: { mode?: number }): void;
  function mkdirSync(path: string, options?: { recursive?: boolean }): void;
  function mkdir(path: string, options?: { recursive?: boolean }): Promise<void>;
  function makeTempDir(options?: { prefix?: string }): Promise<string>;
  function remove(path: string, options?: { recursive?: boolean }): Promise<void>;
  function chmod(path: string, mode: number): Promise<void>;
  function stat(path: string): Promise<{ isFile: boolean; isDirectory: boolean; size: number }>;
  function exit(code?: number): never;
  function addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;

  const env: {
    get(name: string): string | undefined;
    toObject(): Record<string, string>;
  };

  interface NetAddr {
    hostname: string;
    port: number;
  }
  interface Listener {
    readonly addr: NetAddr;
    close(): void;
  }
  function listen(options: { port: number; hostname?: string }): Listener;

  interface ServeOptions {
    hostname?: string;
    port?: number;
    signal?: AbortSignal;
    onListen?: (addr: NetAddr) => void;
  }
  interface HttpServer {
    readonly finished: Promise<void>;
    readonly addr: NetAddr;
    shutdown(): Promise<void>;
  }
  interface ServeHandlerInfo {
    remoteAddr: NetAddr;
  }
  function serve(options: ServeOptions, handler: (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>): HttpServer;

  interface CommandStatus {
    success: boolean;
    code: number;
    signal: string | null;
  }
  interface ChildProcess {
    readonly pid: number;
    readonly stdout: ReadableStream<Uint8Array>;
    readonly stderr: ReadableStream<Uint8Array>;
    readonly status: Promise<CommandStatus>;
    kill(signal?: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): void;
  }
  interface CommandOptions {
    args?: string[];
    cwd?: string;
    env?: Record<string, string>;
    clearEnv?: boolean;
    stdin?: 'piped' | 'inherit' | 'null';
    stdout?: 'piped' | 'inherit' | 'null';
    stderr?: 'piped' | 'inherit' | 'null';
  }
  class Command {
    constructor(command: string, options?: CommandOptions);
    spawn(): ChildProcess;
    output(): Promise<CommandStatus & { stdout: Uint8Array; stderr: Uint8Array }>;
  }
  const execPath: () => string;
  const args: string[];
  const stdin: {
    isTerminal(): boolean;
    setRaw(mode: boolean): void;
    read(buffer: Uint8Array): Promise<number | null>;
  };
  const stdout: { writeSync(data: Uint8Array): number };
}

declare function prompt(message?: string): string | null;

declare module 'node:sqlite' {
  type SQLInputValue = null | number | bigint | string | Uint8Array;
  interface StatementColumn {
    name: string;
    column: string | null;
    table: string | null;
    database: string | null;
    type: string | null;
  }
  class StatementSync {
    run(...params: SQLInputValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
    get(...params: SQLInputValue[]): unknown;
    all(...params: SQLInputValue[]): unknown[];
    columns(): StatementColumn[];
    setReturnArrays(enabled: boolean): void;
  }
  class DatabaseSync {
    constructor(path: string, options?: { open?: boolean; readOnly?: boolean });
    readonly isTransaction: boolean;
    exec(sql: string): void;
    prepare(sql: string): StatementSync;
    close(): void;
  }
}
