// Element ids that more than one component needs.

/** The header's search box, focused by the "/" shortcut. */
export const SEARCH_INPUT_ID = "search";
