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
}
