import { FileStore, openStore } from "@agent-canary/rollout-state";
import { describe, expect, it } from "vitest";

// The FileStore's options: the defaults the README's table documents, and a clear refusal of
// a value that would make a timer fire at once or never (0, negative, NaN, past 2^31-1 ms).

/** The error `make` throws, compared whole (class and message) by toEqual. */
function refusal(make: () => unknown): Error {
  try {
    make();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a refusal");
}

describe("FileStore options", () => {
  it("fills in the documented defaults", () => {
    expect(new FileStore({ dir: "/srv/state" }).options).toEqual({
      dir: "/srv/state",
      lockTimeoutMs: 10_000,
      staleLockMs: 5_000,
      pollIntervalMs: 2_000,
      debounceMs: 20,
      staleAfterMs: 15_000,
    });
    // A store opened from a spec gets the same.
    expect((openStore("file:/srv/state") as FileStore).options).toEqual(new FileStore({ dir: "/srv/state" }).options);
  });

  it("keeps the values it is given", () => {
    const options = { dir: "d", lockTimeoutMs: 1, staleLockMs: 2, pollIntervalMs: 3, debounceMs: 0, staleAfterMs: 2 ** 31 - 1 };
    expect(new FileStore(options).options).toEqual(options);
  });

  it.each([
    [{ pollIntervalMs: 0 }, "FileStore option pollIntervalMs must be a whole number of milliseconds, at least 1"],
    [{ staleAfterMs: -5 }, "FileStore option staleAfterMs must be a whole number of milliseconds, at least 1"],
    [{ lockTimeoutMs: Number.NaN }, "FileStore option lockTimeoutMs must be a whole number of milliseconds"],
    [{ staleLockMs: 1.5 }, "FileStore option staleLockMs must be a whole number of milliseconds"],
    [{ debounceMs: -1 }, "FileStore option debounceMs must be a whole number of milliseconds, at least 0"],
    [{ pollIntervalMs: 2 ** 31 }, "FileStore option pollIntervalMs must be a whole number of milliseconds, at most 2147483647 (the longest timer Node can set)"],
    [{ pollIntervalMs: "2000" }, "FileStore option pollIntervalMs must be a whole number of milliseconds"],
    [{ dir: "" }, "FileStore option dir must be the directory path holding the state files"],
    [{ dir: 5 }, "FileStore option dir must be the directory path holding the state files"],
  ])("refuses %o, naming the option and what it must be", (bad, message) => {
    expect(refusal(() => new FileStore({ dir: "/srv/state", ...bad } as never))).toEqual(new TypeError(message));
  });

  it("refuses options that are not an object", () => {
    expect(refusal(() => new FileStore(null as never))).toEqual(new TypeError("FileStore options must be an object such as { dir: \"./rollout-state\" }"));
  });
});
