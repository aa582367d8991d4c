/**
 * Event-invoke configurations (PutFunctionEventInvokeConfig): retry and age limits and
 * destinations, one per function qualifier. A small seam of its own beside the queue;
 * the SQLite backend keeps them in the metadata database's `event_invoke_configs`
 * table, which cascades with the function's deletion.
 */
export interface EventInvokeConfig {
  functionName: string;
  /** '$LATEST', a version number or an alias name. */
  qualifier: string;
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  /** Destination ARNs. */
  onSuccess?: string;
  onFailure?: string;
  /** Epoch ms. */
  lastModified: number;
}

export interface EventInvokeConfigStore {
  /** Throws NotFoundError when the function does not exist. */
  put(config: EventInvokeConfig): Promise<void>;
  get(functionName: string, qualifier: string): Promise<EventInvokeConfig | undefined>;
  delete(functionName: string, qualifier: string): Promise<boolean>;
  /** Ordered by qualifier, strictly after `after`. */
  list(functionName: string, opts: { after?: string; limit: number }): Promise<EventInvokeConfig[]>;
  close(): Promise<void>;
}
