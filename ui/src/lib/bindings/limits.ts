// Generated from the core's constants by src/bindings.rs. Do not edit.

/** A search ranks, shows and counts at most this many matches, the most recently mirrored. */
export const SEARCH_RANKED = 2000;
