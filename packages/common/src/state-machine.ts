import { InvalidTransitionError } from './errors.js';

/**
 * A transition table that denies by default: `table[from]` lists the states
 * reachable from `from`; anything else throws InvalidTransitionError.
 */
export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

export class StateMachine<S extends string> {
  #state: S;

  constructor(
    readonly name: string,
    private readonly table: TransitionTable<S>,
    initial: S,
  ) {
    this.#state = initial;
  }

  get state(): S {
    return this.#state;
  }

  can(to: S): boolean {
    return this.table[this.#state].includes(to);
  }

  to(next: S): void {
    if (!this.can(next)) throw new InvalidTransitionError(this.name, this.#state, next);
    this.#state = next;
  }
}
