/**
 * Progress of a pull or push, as typed events a user interface can render
 * (a progress bar per blob, a line per manifest). Sizes are in bytes.
 */
export type ProgressEvent =
  | { type: 'resolve'; reference: string; digest: string; mediaType: string; size: number }
  /** A transfer begins; `offset` > 0 when it resumes a partial one. */
  | { type: 'blob-start'; digest: string; size: number; offset: number; direction: 'pull' | 'push' }
  | { type: 'blob-progress'; digest: string; size: number; transferred: number; direction: 'pull' | 'push' }
  | { type: 'blob-done'; digest: string; size: number; direction: 'pull' | 'push' }
  /** Already present at the destination: nothing transferred. */
  | { type: 'blob-skipped-exists'; digest: string; size: number; direction: 'pull' | 'push' }
  /** Linked from another repository of the same registry (cross-repository mount). */
  | { type: 'blob-mounted'; digest: string; size: number; from: string }
  | { type: 'manifest-pushed'; reference: string; digest: string; mediaType: string };

export type ProgressListener = (event: ProgressEvent) => void;

/** Emits blob-progress at most every `bytes` bytes so a UI is not flooded by 64 KiB chunks. */
export function progressThrottle(emit: ProgressListener | undefined, digest: string, size: number, direction: 'pull' | 'push', bytes = 1 << 20): (transferred: number) => void {
  if (!emit) return () => {};
  let last = -Infinity;
  return (transferred) => {
    if (transferred - last >= bytes || transferred === size) {
      last = transferred;
      emit({ type: 'blob-progress', digest, size, transferred, direction });
    }
  };
}
