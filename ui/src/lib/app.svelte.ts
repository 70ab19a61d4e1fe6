// The window's state and what changes it: one place, so each piece of state has one way in.
import { tick } from "svelte";
import {
  commands,
  events,
  type AppError,
  type BalanceHistory,
  type BalanceRow,
  type ChainConnectivity,
  type Portfolio,
  type PortfolioHistory,
  type Result,
  type SyncOutcome,
  type WalletId,
  type WalletRecord,
} from "./api/bindings";
import type { View } from "./dashboard";
import { PreloadProgress } from "./progress";
import { balanceRows } from "./wire";

/** A command's error, with the code the UI branches on and the words it shows. */
export class CommandError extends Error {
  readonly code: AppError["code"];
  constructor(error: AppError) {
    super(error.message);
    this.code = error.code;
  }
}

export async function call<T>(result: Promise<Result<T, AppError>>): Promise<T> {
  const answer = await result;
  if (answer.status === "ok") return answer.data;
  // Tauri itself rejects with plain words when it cannot hand the call over (arguments it cannot
  // read, a permission missing): the app's own errors are objects with a code.
  const error: unknown = answer.error;
  throw new CommandError(
    typeof error === "object" && error !== null && "code" in error
      ? (error as AppError)
      : { code: "internal", message: String(error) },
  );
}

export type Toast = { id: number; kind: "done" | "failed"; text: string };

/** The performance mark of the first frame with the stored balances in it. */
const PAINTED_MARK = "stored balances painted";

/** Ages and freshness come from the engine at each read; re-reading this often lets them move on. */
const AGE_REREAD_MS = 15_000;

class AppState {
  // What the engine answers is replaced whole at each read, never changed in place: raw state, so
  // ten thousand rows are not each wrapped in a proxy with a signal per field (deriving the list
  // from proxied rows took five times as long).
  rows = $state.raw<BalanceRow[]>([]);
  portfolio = $state.raw<Portfolio | null>(null);
  /** The portfolio's value each day recorded. */
  history = $state.raw<PortfolioHistory | null>(null);
  /** The balance whose history is open, and that history once read. */
  historyOf = $state<{ row: BalanceRow; history: BalanceHistory | null; error: string | null } | null>(null);
  wallets = $state.raw<WalletRecord[]>([]);
  connectivity = $state.raw<ChainConnectivity[]>([]);
  loaded = $state(false);
  showAll = $state(false);
  /** How the balances are listed: by wallet, or by asset over wallets and chains. */
  view = $state<View>("wallet");
  /** What the search box holds, and the one chain shown ("" for every chain). */
  query = $state("");
  chain = $state("");
  /** Asset and watch-key lines opened to their rows. */
  opened = $state<Set<string>>(new Set());
  /** A Preload the user asked for is under way. */
  private asked = $state(false);
  /** The start-up or a scheduled preload is under way (from its progress events). */
  private sweeping = $state(false);
  progress = $state({ done: 0, total: 0 });
  refreshing = $state<Set<WalletId | "all">>(new Set());
  /** Wallets whose "Find new tokens" is under way. */
  finding = $state<Set<WalletId>>(new Set());
  toasts = $state<Toast[]>([]);

  private tracker = new PreloadProgress();
  private nextToast = 0;
  private rereading: Promise<void> | null = null;
  private again: Promise<void> | null = null;

  /** Paints what the store holds, then starts syncing (the start-up preload). */
  async open(): Promise<void> {
    // The first read need not wait for the listeners: nothing changes the store before startSync
    // below, so no change can fall between them.
    await Promise.all([this.listen(), this.reread()]);
    this.loaded = true;
    await tick();
    // The frame that paints the stored balances, for the window benchmark and Web Inspector.
    requestAnimationFrame(() => performance.mark(PAINTED_MARK));
    setInterval(() => this.reread(), AGE_REREAD_MS);
    try {
      await call(commands.startSync());
    } catch (error) {
      this.toast("failed", `Syncing could not start: ${(error as Error).message}`);
    }
  }

  /** Follows what the engine announces: changed balances, prices and connectivity, sync progress. */
  private async listen(): Promise<void> {
    await Promise.all([
      events.balancesChanged.listen(({ payload }) => {
        // Without a chain, events were missed: progress reports too, so none is trusted to end.
        if (payload.chain === null) this.endProgress();
        void this.reread();
      }),
      events.syncProgress.listen(({ payload }) => {
        this.tracker.update(payload);
        this.progress = { done: this.tracker.done, total: this.tracker.total };
        this.sweeping = !this.tracker.finished;
      }),
      events.connectivityChanged.listen(() => this.rereadConnectivity()),
      events.pricesChanged.listen(() => this.reread()),
    ]);
  }

  /**
   * Reads the balances, their worth, the wallets and connectivity again. Calls made while a read
   * is under way share one more read after it, so a change committed during a read is never missed.
   */
  reread(): Promise<void> {
    if (this.rereading) {
      this.again ??= this.rereading.then(() => {
        this.again = null;
        return this.reread();
      });
      return this.again;
    }
    this.rereading = this.read().finally(() => (this.rereading = null));
    return this.rereading;
  }

  private async read(): Promise<void> {
    try {
      // One read of the balances for the rows, their worth and its history: each asked alone
      // loaded and valued every balance again.
      const [overview, connectivity] = await Promise.all([call(commands.overview()), call(commands.connectivity())]);
      this.rows = balanceRows(overview.balances);
      this.portfolio = overview.portfolio;
      this.history = overview.history;
      this.wallets = overview.wallets;
      this.connectivity = connectivity;
    } catch (error) {
      this.toast("failed", `Could not read the stored balances: ${(error as Error).message}`);
    }
  }

  private async rereadConnectivity(): Promise<void> {
    try {
      this.connectivity = await call(commands.connectivity());
    } catch (error) {
      this.toast("failed", (error as Error).message);
    }
  }

  /** A Preload the user asked for is under way: its button waits for it. */
  get preloading(): boolean {
    return this.asked;
  }

  /** Any sweep is under way, the start-up one, a Preload or one on schedule: the bar shows it. */
  get syncing(): boolean {
    return this.asked || this.sweeping;
  }

  private endProgress(): void {
    this.tracker.clear();
    this.sweeping = false;
  }

  async preload(): Promise<void> {
    this.tracker.clear();
    this.asked = true;
    try {
      this.report("Preload", await call(commands.preload()));
    } catch (error) {
      this.toast("failed", `Preload failed: ${(error as Error).message}`);
    } finally {
      this.asked = false;
      await this.reread();
    }
  }

  async refresh(wallet: WalletId | null): Promise<void> {
    const which = wallet ?? "all";
    this.refreshing = new Set([...this.refreshing, which]);
    try {
      this.report("Refresh", await call(commands.refresh(wallet)));
    } catch (error) {
      this.toast("failed", `Refresh failed: ${(error as Error).message}`);
    } finally {
      this.refreshing = new Set([...this.refreshing].filter((w) => w !== which));
      await this.reread();
    }
  }

  /** Saves every balance as CSV where the user chooses; says where, or nothing if they cancelled. */
  async exportCsv(): Promise<void> {
    try {
      const saved = await call(commands.exportCsv());
      if (saved !== null) this.toast("done", `Saved every balance to ${saved}.`);
    } catch (error) {
      this.toast("failed", `Export failed: ${(error as Error).message}`);
    }
  }

  /** Looks for every listed token one wallet may hold, and says what was found. */
  async findTokens(wallet: WalletId): Promise<void> {
    this.finding = new Set([...this.finding, wallet]);
    try {
      const sweeps = await call(commands.findTokens(wallet));
      const found = sweeps.reduce((sum, s) => sum + s.found, 0);
      const unreachable = sweeps.filter((s) => s.unreachable !== null).map((s) => s.chain);
      if (found === 0 && unreachable.length > 0) {
        this.toast("failed", `Finding tokens could not reach ${unreachable.join(", ")}; try again later.`);
      } else {
        this.toast("done", found === 0 ? "No new tokens found." : `Found ${found} new token${found === 1 ? "" : "s"}.`);
      }
    } catch (error) {
      this.toast("failed", `Finding tokens failed: ${(error as Error).message}`);
    } finally {
      this.finding = new Set([...this.finding].filter((w) => w !== wallet));
      await this.reread();
    }
  }

  /**
   * Says how a preload or refresh went: what was read, which chains could not be reached, and
   * whether prices could not be read.
   */
  private report(what: string, outcome: SyncOutcome): void {
    const sweeps = outcome.chains;
    const read = sweeps.reduce((sum, s) => sum + s.read, 0);
    const failed = sweeps.reduce((sum, s) => sum + s.failed, 0);
    const unreachable = sweeps.filter((s) => s.unreachable !== null).map((s) => s.chain);
    if (unreachable.length > 0) {
      this.toast(
        "failed",
        `${what} could not reach ${unreachable.join(", ")}; the last known balances stay shown.`,
      );
    } else if (failed > 0) {
      this.toast("failed", `${what} finished: ${read} read, ${failed} failed (hover a row for why).`);
    } else {
      this.toast("done", `${what} finished: ${read} balance${read === 1 ? "" : "s"} read.`);
    }
    if (outcome.prices?.failed) {
      this.toast("failed", `Prices could not be read (${outcome.prices.failed}); the last known prices stay in use.`);
    }
  }

  /** Opens one balance's history, and reads it. */
  async openHistory(row: BalanceRow): Promise<void> {
    this.historyOf = { row, history: null, error: null };
    try {
      const history = await call(commands.balanceHistory(row.key));
      if (this.historyOf?.row.key === row.key) this.historyOf = { row, history, error: null };
    } catch (error) {
      if (this.historyOf?.row.key === row.key) this.historyOf = { row, history: null, error: (error as Error).message };
    }
  }

  closeHistory(): void {
    this.historyOf = null;
  }

  /** Opens a folded line to its rows, or folds it again. */
  toggle(key: string): void {
    const opened = new Set(this.opened);
    if (!opened.delete(key)) opened.add(key);
    this.opened = opened;
  }

  toast(kind: Toast["kind"], text: string): void {
    const id = this.nextToast++;
    this.toasts = [...this.toasts, { id, kind, text }];
    setTimeout(() => this.dismiss(id), kind === "done" ? 5_000 : 12_000);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((toast) => toast.id !== id);
  }
}

export const app = new AppState();
