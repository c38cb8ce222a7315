/**
 * Type-level checks that tie two declarations of one fact together, so tsc
 * refuses to compile when they drift apart.
 *
 * @example
 *   export type Tied = Assert<Same<v.InferOutput<typeof ViewSchema>, View>>;
 */

/** `true` when A and B are the same type (each assignable to the other). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compiles only when T is `true`. */
export type Assert<T extends true> = T;
