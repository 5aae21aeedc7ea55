/**
 * A tiny typed event emitter (Hyper's TypedEmitter idea) that runs in every layer: no node:events, so the
 * renderer can use it too. `on` returns its own unsubscribe function (Fiddle's cleanup style).
 */
export type Listener<T> = (payload: T) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(name)?.delete(listener as Listener<never>);
  }

  /**
   * Calls every listener; one that throws does not stop the others (a UI listener's bug must not lose a
   * page for the CLI's listener). Errors are handed to `onListenerError`.
   */
  emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(payload);
      } catch (e) {
        this.onListenerError(e, String(name));
      }
    }
  }

  listenerCount(name: keyof Events): number {
    return this.#listeners.get(name)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  protected onListenerError(e: unknown, name: string): void {
    console.error(`A listener for "${name}" threw:`, e);
  }
}
