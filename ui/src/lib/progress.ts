import type { SyncProgress } from "./api/bindings";

/** Where a preload stands: each chain's latest done/total, summed. */
export class PreloadProgress {
  private chains = new Map<string, { done: number; total: number }>();

  update(event: SyncProgress): void {
    this.chains.set(event.chain, { done: event.done, total: event.total });
  }

  clear(): void {
    this.chains.clear();
  }

  get done(): number {
    return [...this.chains.values()].reduce((sum, chain) => sum + chain.done, 0);
  }

  get total(): number {
    return [...this.chains.values()].reduce((sum, chain) => sum + chain.total, 0);
  }

  get finished(): boolean {
    return this.chains.size > 0 && this.done >= this.total;
  }

  /** Chains still being read, for the progress bar's words. */
  get pending(): string[] {
    return [...this.chains].filter(([, c]) => c.done < c.total).map(([name]) => name);
  }
}
