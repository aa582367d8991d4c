/** Lambda's limit for a streamed response (InvokeWithResponseStream, RESPONSE_STREAM URLs): 200 MB. */
export const MAX_STREAMED_RESPONSE = 200 * 1024 * 1024;
