export {
  LambdockError,
  ValidationError,
  NotFoundError,
  ConflictError,
  IntegrityError,
  InvalidTransitionError,
  isLambdockError,
} from './errors.js';
export { StateMachine } from './state-machine.js';
export type { TransitionTable } from './state-machine.js';
export { requestId, shortId } from './ids.js';
export { createLogger } from './logger.js';
export type { Logger, LogLevel, LogFields, LoggerOptions } from './logger.js';
export { verifySigV4, checkSigV4Shape, safeEqual, SIGV4_MAX_SKEW_MS } from './sigv4.js';
export type { SignedRequest, SigV4Result, SigV4Failure } from './sigv4.js';
