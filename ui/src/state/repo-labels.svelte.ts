// Labels of mirrored repositories, loaded once per repository when first needed (for
// chip colours in the list and the label pickers), and reloaded after a sync.
import { SvelteMap } from "svelte/reactivity";
import { repoLabels } from "../lib/api";
import type { Label } from "../lib/bindings/Label";

class RepoLabels {
  readonly #byRepo = new SvelteMap<string, Label[]>();
  readonly #requested = new Set<string>();

  /** The repository's labels; empty until loaded (the call starts the load). */
  of(repoReference: string): Label[] {
    if (!this.#requested.has(repoReference)) {
      this.#requested.add(repoReference);
      repoLabels(repoReference).then(
        (labels) => this.#byRepo.set(repoReference, labels),
        () => this.#requested.delete(repoReference),
      );
    }
    return this.#byRepo.get(repoReference) ?? [];
  }

  colorOf(repoReference: string, name: string): string | null {
    return this.of(repoReference).find((label) => label.name === name)?.color ?? null;
  }

  /** Forget everything: labels may have changed on the trackers. */
  reset(): void {
    this.#requested.clear();
    this.#byRepo.clear();
  }
}

export const labelsByRepo = new RepoLabels();
