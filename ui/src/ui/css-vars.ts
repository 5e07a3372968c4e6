// Sets CSS custom properties through the CSSOM (element.style.setProperty), which the
// CSP's style-src 'self' allows; a style="" attribute in markup would be blocked.
import type { Action } from "svelte/action";

export type CssVars = Record<`--${string}`, string | null>;

function apply(node: HTMLElement, vars: CssVars, previous: CssVars): void {
  for (const name of Object.keys(previous) as (keyof CssVars)[]) {
    if (!(name in vars)) {
      node.style.removeProperty(name);
    }
  }
  for (const [name, value] of Object.entries(vars)) {
    if (value === null) {
      node.style.removeProperty(name);
    } else {
      node.style.setProperty(name, value);
    }
  }
}

export const cssVars: Action<HTMLElement, CssVars> = (node, initial) => {
  let current = initial;
  apply(node, current, {});
  return {
    update(next: CssVars) {
      apply(node, next, current);
      current = next;
    },
  };
};
