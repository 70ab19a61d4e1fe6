// What the history charts draw, made from what the engine kept. Values arrive as exact decimal
// strings and stay so: a point carries its exact value for hover and for words, and a float of it
// only for where it is drawn.
import { nice, ticks } from "d3-array";
import { utcDay } from "d3-time";
import type { BalanceHistory, PortfolioHistory } from "./api/bindings";
import { shortAmount, usd } from "./format";

export type ChartPoint = {
  /** Where on the time axis: Unix milliseconds. */
  at: number;
  /** The exact value the point stands for. */
  exact: string;
  /** Where it is drawn, and nothing else: a float of `exact`. */
  y: number;
  /** The point in words, for hover and screen readers. */
  words: string;
};

export type Series = {
  points: ChartPoint[];
  /** Days (or reads) that are in the record but had no value to draw, in words. */
  gaps: string[];
};

const DAY_MS = 86_400_000;

const dayWords = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
// UTC, as the days a day's prices are recorded under
const timeWords = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** The portfolio's value, a point for each day recorded; a day nothing could be valued is a gap. */
export function portfolioSeries(history: PortfolioHistory): Series {
  const points: ChartPoint[] = [];
  const gaps: string[] = [];
  for (const day of history.days) {
    const at = Date.parse(`${day.day}T00:00:00Z`);
    if (Number.isNaN(at)) continue;
    const unpriced = day.unpriced === 0 ? "" : ` (${day.unpriced} balance${day.unpriced === 1 ? "" : "s"} without a price)`;
    if (day.total === null) {
      gaps.push(`${dayWords.format(at)}: nothing could be valued${unpriced}`);
      continue;
    }
    points.push({ at, exact: day.total, y: Number(day.total), words: `${dayWords.format(at)}: ${usd(day.total)}${unpriced}` });
  }
  return { points, gaps };
}

/**
 * One balance's amounts over time, a point for each value read that differed from the one before,
 * with its worth at that day's price where one was recorded.
 */
export function balanceSeries(history: BalanceHistory): Series {
  const points = history.points.map((point) => ({
    at: point.at,
    exact: point.amount,
    y: Number(point.amount),
    words:
      `${timeWords.format(point.at)} UTC: ${shortAmount(point.amount)} ${history.symbol}` +
      (point.value === null ? ", no price that day" : `, ${usd(point.value)}`) +
      (point.block === null ? "" : ` (block ${point.block})`),
  }));
  return { points, gaps: [] };
}

/** The time axis's extent: a lone point gets a day either side, so it is drawn in the middle. */
export function timeDomain(points: ChartPoint[]): [number, number] {
  const times = points.map((point) => point.at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  return first === last ? [first - DAY_MS, last + DAY_MS] : [first, last];
}

/** The value axis's extent: from zero, so a change reads at its true size, to the largest value. */
export function valueDomain(points: ChartPoint[]): [number, number] {
  const largest = Math.max(0, ...points.map((point) => point.y));
  return [0, largest === 0 ? 1 : largest];
}

const dollarTicks = new Intl.NumberFormat("en-US", {
  style: "currency",
  currency: "USD",
  notation: "compact",
  minimumFractionDigits: 0,
  maximumFractionDigits: 2,
});
const amountTicks = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 3 });

/** A value axis's tick: "$0", "$12.5K", "$1.2M". Ticks are places on the axis, not values held. */
export function dollarTick(value: number): string {
  return dollarTicks.format(value);
}

/** An amount axis's tick: "0", "1.5", "12K". */
export function amountTick(value: number): string {
  return amountTicks.format(value);
}

/** A time axis's tick: "Mar 2", with the year when the axis spans more than one. */
export function dateTick(at: number, domain: [number, number]): string {
  const years = new Date(domain[0]).getUTCFullYear() !== new Date(domain[1]).getUTCFullYear();
  return new Intl.DateTimeFormat("en-US", {
    month: "short",
    day: "numeric",
    year: years ? "2-digit" : undefined,
    timeZone: "UTC",
  }).format(at);
}

/** The chart in one sentence, for screen readers and the figure's caption. */
export function summary(series: Series, unit: (exact: string) => string): string {
  const { points } = series;
  if (points.length === 0) return "";
  const first = points[0];
  const last = points[points.length - 1];
  if (points.length === 1) return `One point: ${first.words}.`;
  return `${points.length} points, from ${unit(first.exact)} on ${dayWords.format(first.at)} to ${unit(last.exact)} on ${dayWords.format(last.at)}.`;
}

/** Room around the plot for the axes' labels, in px. */
export const MARGIN = { top: 8, right: 16, bottom: 24, left: 64 };

/** Where things go on a chart `width` × `height` px: the two scales and each axis's ticks. */
export type Frame = {
  x: (at: number) => number;
  y: (value: number) => number;
  valueTicks: number[];
  dateTicks: { at: number; label: string }[];
};

/**
 * The chart's frame: time left to right over the points' extent, value bottom to top from zero to
 * a round number above the largest; about four value ticks, and a date every 90 px at most (each
 * date once, whole days).
 */
export function frame(points: ChartPoint[], width: number, height: number): Frame {
  const [first, last] = timeDomain(points);
  const [, top] = nice(0, valueDomain(points)[1], 4);
  const plotWidth = Math.max(1, width - MARGIN.left - MARGIN.right);
  const plotHeight = Math.max(1, height - MARGIN.top - MARGIN.bottom);
  const x = (at: number) => MARGIN.left + ((at - first) / (last - first)) * plotWidth;
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const most = Math.max(2, Math.floor(plotWidth / 90));
  const step = Math.max(1, Math.ceil((last - first) / DAY_MS / most));
  const days = utcDay.every(step)?.range(new Date(first), new Date(last + 1)) ?? [];
  const dateTicks: Frame["dateTicks"] = [];
  for (const day of days.length > 0 ? days : [new Date(first)]) {
    const label = dateTick(day.valueOf(), [first, last]);
    if (dateTicks.at(-1)?.label !== label) dateTicks.push({ at: day.valueOf(), label });
  }
  return { x, y, valueTicks: ticks(0, top, 4), dateTicks };
}
