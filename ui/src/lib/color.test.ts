import { describe, expect, it } from "vitest";
import { chipColors, contrastRatio, luminance, normalizeHex } from "./color";

describe("normalizeHex", () => {
  it.each([
    ["d73a4a", "#d73a4a"],
    ["#D73A4A", "#d73a4a"],
    ["fff", "#ffffff"],
    [" 0e8a16 ", "#0e8a16"],
  ])("%j becomes %j", (raw, expected) => {
    expect(normalizeHex(raw)).toBe(expected);
  });

  it.each([null, "", "red", "12345", "gggggg"])("rejects %j", (raw) => {
    expect(normalizeHex(raw)).toBeNull();
  });
});

describe("contrast", () => {
  it("knows black and white", () => {
    expect(luminance("#000000")).toBe(0);
    expect(luminance("#ffffff")).toBeCloseTo(1);
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21);
    expect(contrastRatio("#ffffff", "#000000")).toBeCloseTo(21);
  });
});

describe("chipColors", () => {
  it("puts light text on dark labels and dark text on light ones", () => {
    expect(chipColors("0e1a5c")?.text).toBe("#ffffff");
    expect(chipColors("fbca04")?.text).toBe("#1f2328");
    expect(chipColors("a2eeef")?.text).toBe("#1f2328");
  });

  it("always reaches at least 4.5:1 for GitHub's default label colours", () => {
    for (const color of ["d73a4a", "0075ca", "cfd3d7", "a2eeef", "7057ff", "008672", "e4e669", "d876e3", "ffffff"]) {
      const chip = chipColors(color);
      expect(chip).not.toBeNull();
      if (chip) {
        expect(contrastRatio(chip.background, chip.text)).toBeGreaterThanOrEqual(4.5);
      }
    }
  });

  it("outlines near-white labels", () => {
    expect(chipColors("ffffff")?.border).not.toBe("#ffffff");
    expect(chipColors("d73a4a")?.border).toBe("#d73a4a");
  });

  it("is null without a usable colour", () => {
    expect(chipColors(null)).toBeNull();
    expect(chipColors("nope")).toBeNull();
  });
});
