// How each kind of tracker is named in the UI.
import type { ProviderKind } from "./bindings/ProviderKind";

export const PROVIDER_NAMES: Record<ProviderKind, string> = {
  github: "GitHub",
  gitlab: "GitLab",
  gitea: "Gitea",
};
