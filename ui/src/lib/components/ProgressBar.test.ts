import { render } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { PreloadProgress } from "../progress";
import ProgressBar from "./ProgressBar.svelte";

describe("the progress bar", () => {
  it("shows done of total, in words and to assistive technology", () => {
    const { getByRole } = render(ProgressBar, { done: 30, total: 120, label: "Preloading" });
    const bar = getByRole("progressbar", { name: "Preloading" });
    expect(bar.getAttribute("aria-valuenow")).toBe("30");
    expect(bar.getAttribute("aria-valuemax")).toBe("120");
    expect(bar.textContent).toContain("30 of 120");
    expect((bar.querySelector(".fill") as HTMLElement).style.width).toBe("25%");
  });

  it("stays within its track when nothing is to do or more reports than rows arrive", () => {
    const empty = render(ProgressBar, { done: 0, total: 0, label: "Preloading" });
    expect((empty.container.querySelector(".fill") as HTMLElement).style.width).toBe("0%");
    const over = render(ProgressBar, { done: 5, total: 4, label: "Refreshing" });
    expect((over.container.querySelector(".fill") as HTMLElement).style.width).toBe("100%");
  });
});

describe("preload progress over chains", () => {
  it("sums each chain's latest report and finishes when every chain has", () => {
    const progress = new PreloadProgress();
    progress.update({ chain: "ethereum", done: 0, total: 10 });
    progress.update({ chain: "solana", done: 0, total: 5 });
    expect([progress.done, progress.total, progress.finished]).toEqual([0, 15, false]);
    progress.update({ chain: "ethereum", done: 10, total: 10 });
    expect([progress.done, progress.finished]).toEqual([10, false]);
    progress.update({ chain: "solana", done: 5, total: 5 });
    expect([progress.done, progress.total, progress.finished]).toEqual([15, 15, true]);
  });
});
