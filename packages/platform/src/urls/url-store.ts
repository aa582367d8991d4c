/** CORS settings of a function URL, as the Lambda API names them. */
export interface UrlCors {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

export type UrlAuthType = 'NONE' | 'AWS_IAM';
export type UrlInvokeMode = 'BUFFERED' | 'RESPONSE_STREAM';

/** One function URL: a function (unqualified, or one alias) reachable over HTTP at `urlId`. */
export interface FunctionUrlRecord {
  functionName: string;
  /** '' for the unqualified function, else the alias name. */
  qualifier: string;
  /** 32 lower-case letters and digits: the URL's host label. */
  urlId: string;
  authType: UrlAuthType;
  cors?: UrlCors;
  invokeMode: UrlInvokeMode;
  creationTime: string;
  lastModifiedTime: string;
}

/**
 * Where function URL configurations live. Lifecycle: open the backend, use it,
 * `close()` once. Each method is atomic; a URL disappears with its function.
 * Every backend runs urls/testsuite.ts.
 */
export interface FunctionUrlStore {
  /** Throws ConflictError when the function/qualifier already has a URL, NotFoundError when the function is gone. */
  create(rec: FunctionUrlRecord): Promise<void>;
  /** Replaces an existing record; throws NotFoundError when there is none. */
  update(rec: FunctionUrlRecord): Promise<void>;
  get(functionName: string, qualifier: string): Promise<FunctionUrlRecord | undefined>;
  byUrlId(urlId: string): Promise<FunctionUrlRecord | undefined>;
  /** Ordered by qualifier, strictly after `after`. */
  list(functionName: string, opts: { after?: string; limit: number }): Promise<FunctionUrlRecord[]>;
  delete(functionName: string, qualifier: string): Promise<boolean>;
  close(): Promise<void>;
}
