/** What a beforeAll sets up and the tests use; reading it after a failed setup says so instead of a TypeError. */
export class Slot<T> {
  private value: T | undefined;

  constructor(private readonly what: string) {}

  set(value: T): void {
    this.value = value;
  }

  get(): T {
    if (this.value === undefined) throw new Error(`${this.what} did not start; see the beforeAll error above`);
    return this.value;
  }

  /** For afterAll: undefined when setup failed before setting it. */
  get current(): T | undefined {
    return this.value;
  }
}
