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
