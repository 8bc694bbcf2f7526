/**
 * What a shell's parser makes of a place in a command's text: the scanners
 * read the literal text written in the workflow file, character by
 * character, and tell for the current place how a value can be handed to
 * the shell there as data (a reference to an environment variable the shell
 * expands once, never parses), or why no such way exists.
 * @module
 */

/** How a value is written at a place: `reference(name)` gives the text, or `refused` says why none exists. */
export type Placement = { reference: (name: string) => string; display: (value: string) => string } | { refused: string };

/** A reader of one dialect's text. */
export interface Scanner {
  /** Reads literal text written in the file. */
  feed(text: string): void;
  /** How a value is written at the current place. */
  place(): Placement;
  /** Notes that a reference was written at the current place (it reads as a word character). */
  wrote(): void;
}
