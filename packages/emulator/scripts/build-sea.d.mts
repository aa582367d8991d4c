/** Types for build-sea.mjs (see its header comment). */
export declare const DEFAULT_NODE_VERSION: string;
export declare function cacheRoot(): string;
export declare function buildEmulatorBundle(opts?: { outDir?: string }): Promise<{ bundle: string; launcher: string; sha256: string }>;
export declare function officialNodeBinary(version?: string): string;
export declare function buildEmulatorSea(opts?: {
  outFile?: string;
  nodeVersion?: string;
}): Promise<{ path: string; size: number; nodeVersion: string; cached: boolean; sha256: string }>;
