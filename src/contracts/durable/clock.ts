/** Time arithmetic for orchestrations, which may not touch the Date global (lint): they pass their replay clock in. */

/** `now` plus `seconds`, as a new Date (timers' fireAt). */
export function addSeconds(now: Date, seconds: number): Date {
  return new Date(now.getTime() + Math.round(seconds * 1000));
}

/** Whole seconds from `from` to `to` (negative when `to` is earlier). */
export function secondsBetween(from: Date, to: Date): number {
  return (to.getTime() - from.getTime()) / 1000;
}
