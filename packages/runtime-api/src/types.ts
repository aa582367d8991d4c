import type { Readable } from 'node:stream';

/** One invocation handed to the runtime. */
export interface InvokeRequest {
  requestId: string;
  payload: Buffer;
  /** Epoch milliseconds. */
  deadlineMs: number;
  invokedFunctionArn: string;
  traceId?: string;
  /** Decoded JSON text (the invoke API carries it base64-encoded). */
  clientContext?: string;
  cognitoIdentity?: string;
  contentType?: string;
}

export type InvokeResult =
  | { kind: 'success'; payload: Buffer; contentType?: string }
  | {
      kind: 'function-error';
      errorType: string;
      /** {"errorMessage","errorType","stackTrace"|"trace"} as the runtime posted it. */
      payload: Buffer;
    }
  | {
      kind: 'stream';
      contentType: string;
      /** Bytes as the runtime sends them. */
      body: Readable;
      /** Resolves when the runtime's request ends; carries the error trailers, if any. */
      trailers: Promise<{ errorType?: string; errorBody?: string }>;
    };

export interface StreamOptions {
  /** The caller can consume a streamed response; otherwise a streamed response is buffered into 'success'. */
  streaming?: boolean;
}

/** What the 'invoke-done' event reports: enough for Lambda's END/REPORT lines. */
export interface InvokeDone {
  requestId: string;
  /** From handing the event to the runtime until the runtime and extensions are done. */
  durationMs: number;
  /** From handing the event to the runtime until its response/error was complete. */
  responseDurationMs: number;
  status: 'success' | 'error' | 'failure' | 'timeout';
  errorType?: string;
  producedBytes: number;
  /** Set on the first invoke of an environment (a cold start). */
  initDurationMs?: number;
}

export interface InitErrorEvent {
  errorType: string;
  payload: Buffer;
}

export type ExtensionEventType = 'INVOKE' | 'SHUTDOWN';
export type ShutdownReason = 'spindown' | 'timeout' | 'failure';
