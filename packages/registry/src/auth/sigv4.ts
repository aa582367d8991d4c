// The SigV4 verifier is shared by every AWS-style API Lambdock serves; it lives in common.
export { verifySigV4 } from '@lambdock/common';
export type { SignedRequest, SigV4Result } from '@lambdock/common';
